import { atLeast } from '../../identity/roles.js';
import type { ComponentHealth, ConsoleAlert, ConsoleAnomaly, ConsoleApproval, ConsoleLabelSet, ConsoleSeries } from '../backend.js';
import { seriesChart } from '../chart.js';
import { age, severityHtml, timeHtml } from '../format.js';
import { html, localHref, type SafeHtml } from '../html.js';
import { alertsTable, byUrgency, isFiring } from './alerts.js';
import { byAnomalyUrgency, seriesLink } from './anomalies.js';
import { pendingApprovalsHtml } from './approvals.js';
import { failedHtml, plural, tableHtml, type Loaded, type PageContext } from './common.js';

/** Most firing alerts and anomalies the overview lists (the rest on their pages). */
export const OVERVIEW_LIMITS = { alerts: 8, anomalies: 6 } as const;

/** An anomaly with the label set of the series that draws it (when the AI engine has one). */
export interface DrawnAnomaly {
  readonly anomaly: ConsoleAnomaly;
  readonly series?: { readonly series: ConsoleSeries; readonly set: ConsoleLabelSet } | undefined;
}

export interface OverviewData {
  readonly health: Loaded<readonly ComponentHealth[]>;
  readonly alerts: Loaded<readonly ConsoleAlert[]>;
  /** The most urgent active anomalies ({@link OVERVIEW_LIMITS}) with their series, and how many are active. */
  readonly anomalies: Loaded<{ readonly total: number; readonly drawn: readonly DrawnAnomaly[] }>;
  readonly approvals: Loaded<readonly ConsoleApproval[]>;
}

function healthHtml(health: Loaded<readonly ComponentHealth[]>): SafeHtml {
  if (!health.ok) return failedHtml("The components' health", health.error);
  const down = health.value.filter((c) => c.down > 0);
  const state = (c: ComponentHealth) =>
    c.down === 0 ? html`<span class="badge state-ok"><span aria-hidden="true">✓</span> up</span>` : c.up === 0 ? html`<span class="badge state-bad"><span aria-hidden="true">✕</span> down</span>` : html`<span class="badge state-warn"><span aria-hidden="true">!</span> degraded</span>`;
  return html`<p class="stat"><strong>${health.value.length - down.length}</strong> of ${plural(health.value.length, 'component')} healthy</p>
${tableHtml(
  "Components' scrape targets",
  ['Component', 'State', 'Targets up', 'Down'],
  health.value.map((c) => [c.job, state(c), c.up, c.down]),
  { hideCaption: true },
)}`;
}

function alertsHtml(ctx: PageContext, alerts: Loaded<readonly ConsoleAlert[]>): SafeHtml {
  if (!alerts.ok) return failedHtml('Alerts', alerts.error);
  const firing = alerts.value.filter(isFiring).sort(byUrgency);
  return html`<p class="stat"><strong>${firing.length}</strong> firing</p>
${firing.length === 0 ? html`<p>No alert is firing.</p>` : alertsTable('Firing alerts', firing.slice(0, OVERVIEW_LIMITS.alerts), ctx.now, { hideCaption: true })}
<p><a href="/alerts">All alerts${firing.length > OVERVIEW_LIMITS.alerts ? ` (${firing.length - OVERVIEW_LIMITS.alerts} more firing)` : ''}</a></p>`;
}

function anomaliesHtml(ctx: PageContext, anomalies: OverviewData['anomalies']): SafeHtml {
  if (!anomalies.ok) return failedHtml('Anomalies', anomalies.error);
  const { total, drawn } = anomalies.value;
  const cards = [...drawn].sort((a, b) => byAnomalyUrgency(a.anomaly, b.anomaly));
  return html`<p class="stat"><strong>${total}</strong> active</p>
${total === 0 ? html`<p>No anomaly is active.</p>` : ''}
<ul class="cards">${cards.map(
    ({ anomaly: a, series }, i) => html`<li class="card">
<h3>${a.summary}</h3>
<p class="meta">${severityHtml(a.severity)} ${a.kind} · ${a.component} · since ${timeHtml(a.startsAt)} (${age(a.startsAt, ctx.now)})</p>
${series ? seriesChart(series.set.points, { size: 'small', id: `anomaly-${i}`, title: series.series.description || series.series.id, unit: series.series.unit, labels: series.set.labels, anomaly: a }) : html`<p class="muted">No series to draw.</p>`}
<p>${seriesLink(a, 'Series and data')}</p>
</li>`,
  )}</ul>
<p><a href="/anomalies">All anomalies${total > drawn.length ? ` (${total - drawn.length} more)` : ''}</a></p>`;
}

/** The body of `/`. */
export function overviewBody(ctx: PageContext, data: OverviewData): SafeHtml {
  const approvals = data.approvals;
  return html`<h1>Overview</h1>
<section aria-labelledby="alerts-heading"><h2 id="alerts-heading">Firing alerts</h2>${alertsHtml(ctx, data.alerts)}</section>
<section aria-labelledby="approvals-heading"><h2 id="approvals-heading">Pending approvals</h2>
${approvals.ok ? pendingApprovalsHtml(ctx.principal, approvals.value, ctx.now, '/') : failedHtml('Approvals', approvals.error)}
<p><a href="/self-healing">Self-healing decisions</a></p></section>
<div class="grid">
<section aria-labelledby="anomalies-heading"><h2 id="anomalies-heading">Current anomalies</h2>${anomaliesHtml(ctx, data.anomalies)}</section>
<section aria-labelledby="health-heading"><h2 id="health-heading">Components</h2>${healthHtml(data.health)}</section>
</div>
<section aria-labelledby="tools-heading"><h2 id="tools-heading">Tools</h2>
<ul class="tools">${ctx.tools.map((t) => html`<li><a href="${localHref(t.href)}">${t.name}</a> <span class="muted">${t.description}</span></li>`)}</ul>
${atLeast(ctx.principal.role, 'admin') ? html`<p><a href="/users">Users and API keys</a></p>` : ''}
</section>`;
}
