import { atLeast } from '../identity/roles.js';
import { CONSOLE_ASSETS } from './assets.js';
import type { ConsolePrincipal } from './backend.js';
import { html, localHref, type SafeHtml } from './html.js';

/**
 * The frame of every page: skip link, header with the main navigation and the signed-in user's
 * log-out button, `<main id="main">` (the skip link's and the auto-refresh's target), a notice
 * (`role="status"` for success, `role="alert"` for errors) and the footer with the tools' links.
 */

/** The pages of the navigation. */
export type NavKey = 'overview' | 'alerts' | 'anomalies' | 'self-healing' | 'users';

/** A link to a UI behind the gateway. */
export interface ToolLink {
  readonly name: string;
  /** Same-origin path (`/grafana/`). */
  readonly href: string;
  readonly description: string;
}

/** The UIs the single login opens (default of `registerConsole`'s `tools`). */
export const DEFAULT_TOOLS: readonly ToolLink[] = [
  { name: 'Grafana', href: '/grafana/', description: 'dashboards' },
  { name: 'Kibana', href: '/kibana/', description: 'logs' },
  { name: 'Prometheus', href: '/prometheus/', description: 'metrics and queries' },
  { name: 'Alertmanager', href: '/alertmanager/', description: 'alerts and silences' },
];

/** A message above the page's content. */
export interface Notice {
  readonly kind: 'ok' | 'error';
  readonly text: string;
  /** Shown under the text (the secret of a new API key). */
  readonly detail?: SafeHtml;
}

export interface PageFrame {
  readonly title: string;
  /** Absent on the login page (no navigation). */
  readonly principal?: ConsolePrincipal | undefined;
  readonly current?: NavKey | undefined;
  readonly body: SafeHtml;
  readonly notice?: Notice | undefined;
  /** Seconds between the script's refreshes of `<main>` (absent: none). */
  readonly refreshSeconds?: number | undefined;
  readonly tools: readonly ToolLink[];
}

/** The hidden CSRF field every form of a signed-in page carries. */
export function csrfField(principal: ConsolePrincipal): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${principal.csrf}">`;
}

function nav(principal: ConsolePrincipal, current: NavKey | undefined): SafeHtml {
  const items: [NavKey, string, string][] = [
    ['overview', '/', 'Overview'],
    ['alerts', '/alerts', 'Alerts'],
    ['anomalies', '/anomalies', 'Anomalies'],
    ['self-healing', '/self-healing', 'Self-healing'],
    ['users', '/users', atLeast(principal.role, 'admin') ? 'Users and API keys' : 'API keys'],
  ];
  return html`<nav class="site-nav" aria-label="Main"><ul>${items.map(
    ([key, href, label]) => html`<li><a href="${localHref(href)}"${key === current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>`;
}

export function noticeHtml(notice: Notice | undefined): SafeHtml {
  if (!notice) return html``;
  return notice.kind === 'ok'
    ? html`<div class="notice notice-ok" role="status"><strong>${notice.text}</strong>${notice.detail}</div>`
    : html`<div class="notice notice-error" role="alert"><strong>${notice.text}</strong>${notice.detail}</div>`;
}

/** The whole document of a page. */
export function pageHtml(frame: PageFrame): string {
  const p = frame.principal;
  const header = p
    ? html`<header class="site-header">
<a class="brand" href="/">AIOps platform</a>
${nav(p, frame.current)}
<div class="who"><span>Signed in as <strong>${p.username}</strong> (${p.role})</span>
<form method="post" action="/logout">${csrfField(p)}<button type="submit">Log out</button></form></div>
</header>`
    : html`<header class="site-header"><span class="brand">AIOps platform</span></header>`;
  const footer = p
    ? html`<footer class="site-footer"><nav aria-label="Tools"><ul class="tools">${frame.tools.map((t) => html`<li><a href="${localHref(t.href)}">${t.name}</a></li>`)}</ul></nav></footer>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · AIOps console</title>
<link rel="icon" href="${CONSOLE_ASSETS.icon.href}" type="image/svg+xml">
<link rel="stylesheet" href="${CONSOLE_ASSETS.css.href}">
<script src="${CONSOLE_ASSETS.js.href}" defer></script>
</head>
<body${p ? '' : html` class="login-page"`}>
<a class="skip-link" href="#main">Skip to content</a>
${header}
<main id="main" tabindex="-1"${frame.refreshSeconds ? html` data-refresh="${frame.refreshSeconds}"` : ''}>
${noticeHtml(frame.notice)}
${frame.body}
</main>
${footer}
</body>
</html>
`.text;
}
