import { createHash } from 'node:crypto';

/**
 * The console's static files, kept in the bundle (the gateway runs from one bundled file, so
 * there is no folder to serve from): the stylesheet, the script and the tab's icon. Each is served
 * under `/console/assets/` and linked with its content hash (`?v=<hash>`), so it may be cached for
 * a day and a new version is fetched at once.
 *
 * The script only enhances: pages re-fetch their `<main>` every `data-refresh` seconds (paused
 * while the reader is in a form, has a `<details>` open or the tab is hidden), and forms with
 * `data-confirm` ask before they are sent. Every page works without it.
 */

const CSS = `
:root {
  color-scheme: light;
  --bg: #f6f7f9; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --card: #ffffff;
  --accent: #0b5cad; --accent-fg: #ffffff; --focus: #f0a500;
  --ok: #1a7f37; --warn: #9a6700; --bad: #c62828; --info: #0b5cad;
  --band: #cfe3f7; --value: #0b5cad; --expected: #57606a; --mark: #c62828; --window: #fbe3e3;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; overflow-wrap: break-word; }
a { color: var(--accent); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
#main:focus { outline: none; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin: 0 0 0.75rem; }
h2 { font-size: 1.25rem; margin: 0 0 0.5rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 0.25rem; }
.card h3 { margin-top: 0; }
.skip-link { position: absolute; left: 0.5rem; top: -3rem; background: var(--card); color: var(--fg); padding: 0.5rem 0.75rem; border: 2px solid var(--accent); z-index: 10; }
.skip-link:focus { top: 0.5rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.muted { color: var(--muted); }

.site-header { background: #1b1f24; color: #ffffff; display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.25rem; padding: 0.5rem 1rem; }
.site-header a { color: #ffffff; }
.brand { font-weight: 700; text-decoration: none; margin-right: auto; }
.site-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; margin: 0; padding: 0; }
.site-nav a { display: inline-block; padding: 0.25rem 0.125rem; text-decoration: none; border-bottom: 3px solid transparent; }
.site-nav a[aria-current="page"] { border-bottom-color: #ffffff; font-weight: 700; }
.site-nav a:hover { border-bottom-color: #8fb8e6; }
.who { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; font-size: 0.9rem; }
.who form { margin: 0; }
.site-header :focus-visible { outline-color: var(--focus); }

main { display: block; max-width: 80rem; margin: 0 auto; padding: 1rem; }
.site-footer { max-width: 80rem; margin: 0 auto; padding: 0.5rem 1rem 2rem; color: var(--muted); font-size: 0.9rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1rem; min-width: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr)); gap: 1rem; margin: 0 0 1rem; }
.grid > section { margin: 0; }
.cards { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; min-width: 0; }
.stat { font-size: 1.1rem; margin: 0 0 0.5rem; }
.stat strong { font-size: 1.6rem; }
.meta { margin: 0.25rem 0; color: var(--muted); font-size: 0.9rem; }
.actions-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.25rem 1rem; margin: 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
.tools { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; }

.notice { border-radius: 6px; padding: 0.75rem 1rem; margin: 0 0 1rem; border: 2px solid; background: var(--card); }
.notice-ok { border-color: var(--ok); }
.notice-error { border-color: var(--bad); }
.notice strong { display: block; }

.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding: 0 0 0.25rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); }
thead th { border-bottom: 2px solid var(--line); white-space: nowrap; }
tr.outside td { background: #fdf0f0; }
.labels { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem; }
.labels li { background: #eef1f4; border-radius: 4px; padding: 0 0.3rem; }

.badge { display: inline-block; border-radius: 4px; padding: 0 0.4rem; font-size: 0.85rem; font-weight: 600; border: 1px solid; white-space: nowrap; }
.sev-critical, .state-bad { color: var(--bad); border-color: var(--bad); }
.sev-warning, .state-warn { color: var(--warn); border-color: var(--warn); }
.sev-info, .sev-other, .state-info { color: var(--info); border-color: var(--info); }
.state-ok { color: var(--ok); border-color: var(--ok); }

form.inline { display: inline; margin: 0; }
.form-grid { display: grid; gap: 0.75rem; max-width: 28rem; }
.form-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; }
.field { display: grid; gap: 0.25rem; }
label { font-weight: 600; }
.hint { font-size: 0.85rem; color: var(--muted); font-weight: 400; }
input, select, textarea { font: inherit; padding: 0.4rem 0.5rem; border: 1px solid #8c959f; border-radius: 4px; background: #ffffff; color: var(--fg); max-width: 100%; }
input[aria-invalid="true"] { border: 2px solid var(--bad); }
button { font: inherit; white-space: nowrap; padding: 0.4rem 0.9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); cursor: pointer; }
button.secondary { background: #ffffff; color: var(--accent); }
button.danger { background: #ffffff; color: var(--bad); border-color: var(--bad); }
.site-header button { background: transparent; color: #ffffff; border-color: #ffffff; padding: 0.2rem 0.6rem; }
.secret { display: block; user-select: all; background: #eef1f4; padding: 0.5rem; border-radius: 4px; }

.login-page main { max-width: 26rem; padding-top: 3rem; }
.login-page h1 { font-size: 1.4rem; }

.chart-figure { margin: 0.5rem 0 0; }
.chart { display: block; width: 100%; height: auto; background: #ffffff; }
.chart .band { fill: var(--band); stroke: none; }
.chart .value { fill: none; stroke: var(--value); stroke-width: 1.6; stroke-linejoin: round; }
.chart .expected { fill: none; stroke: var(--expected); stroke-width: 1; stroke-dasharray: 4 3; }
.chart .mark { fill: var(--mark); stroke: #ffffff; stroke-width: 1.5; }
.chart .window { fill: var(--window); }
.chart .gridline { stroke: var(--line); stroke-width: 1; }
.chart .axis { fill: var(--muted); font-size: 10px; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; padding: 0; margin: 0.25rem 0; font-size: 0.85rem; color: var(--muted); }
.key { display: inline-block; width: 1.2em; height: 0.8em; margin-right: 0.3em; vertical-align: middle; }
.key-value { border-top: 2px solid var(--value); height: 0; }
.key-band { background: var(--band); }
.key-expected { border-top: 2px dashed var(--expected); height: 0; }
.key-mark { width: 0.7em; height: 0.7em; border-radius: 50%; background: var(--mark); }
.key-window { background: var(--window); }
.chart-data summary { cursor: pointer; font-size: 0.9rem; }

@media (max-width: 40rem) {
  main { padding: 0.75rem 0.5rem; }
  section { padding: 0.75rem; }
  .site-header { padding: 0.5rem; }
  h1 { font-size: 1.35rem; }
  th, td { padding: 0.35rem 0.3rem; }
  /* Tables of records become one card per row, each cell after its column's header. */
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr { border: 1px solid var(--line); border-radius: 6px; padding: 0.25rem 0.5rem; margin: 0 0 0.75rem; }
  table.stack td { border: 0; position: relative; padding: 0.3rem 0 0.3rem 6.5rem; min-height: 1.9rem; }
  table.stack td::before { content: attr(data-label); position: absolute; left: 0; top: 0.3rem; width: 6rem; font-weight: 600; color: var(--muted); font-size: 0.85rem; }
}
@media (prefers-reduced-motion: reduce) { * { transition: none !important; } }
`;

const JS = `'use strict';
(function () {
  var main = document.getElementById('main');
  var seconds = main ? Number(main.getAttribute('data-refresh')) : 0;
  function busy() {
    var active = document.activeElement;
    if (document.hidden) return true;
    if (main.querySelector('details[open]')) return true;
    return Boolean(active && active !== document.body && active !== main && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName));
  }
  function refresh() {
    if (busy()) return;
    fetch(location.href, { credentials: 'same-origin', headers: { 'X-Console-Refresh': '1' } })
      .then(function (res) {
        if (res.redirected) { location.assign(res.url); return null; }
        return res.ok ? res.text() : null;
      })
      .then(function (text) {
        if (!text || busy()) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var fresh = doc.getElementById('main');
        if (!fresh) return;
        main.replaceWith(document.importNode(fresh, true));
        main = document.getElementById('main');
        document.title = doc.title;
      })
      .catch(function () { /* the next tick tries again */ });
  }
  if (main && seconds >= 5) setInterval(refresh, seconds * 1000);
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
`;

/** The tab's icon: a line chart on the accent colour. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5cad"/><path d="M2.5 11.5l3-4 3 2 4-6" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>
`;

/** One served file. */
export interface ConsoleAsset {
  /** Path the gateway serves it under. */
  readonly path: string;
  /** The URL pages link: the path with the content hash. */
  readonly href: string;
  readonly contentType: string;
  readonly body: Buffer;
}

function asset(name: string, contentType: string, text: string): ConsoleAsset {
  const body = Buffer.from(text.trimStart(), 'utf8');
  const path = `/console/assets/${name}`;
  return { path, href: `${path}?v=${createHash('sha256').update(body).digest('hex').slice(0, 12)}`, contentType, body };
}

/** The stylesheet and the script. */
export const CONSOLE_ASSETS = {
  css: asset('console.css', 'text/css; charset=utf-8', CSS),
  js: asset('console.js', 'text/javascript; charset=utf-8', JS),
  icon: asset('icon.svg', 'image/svg+xml', ICON),
} as const;
