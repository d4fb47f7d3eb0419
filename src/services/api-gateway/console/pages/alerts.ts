import type { ConsoleAlert } from '../backend.js';
import { age, labelsHtml, severityHtml, timeHtml } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { failedHtml, plural, tableHtml, type Loaded, type PageContext } from './common.js';

/** Alerts: firing ones first (critical, then warning, then the rest; newest first within), then silenced and inhibited ones. */

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 0, warning: 1, info: 2 };

/** True when Alertmanager is sending the alert (not silenced, not inhibited). */
export function isFiring(alert: ConsoleAlert): boolean {
  return alert.status.state === 'active';
}

/** Most urgent first. */
export function byUrgency(a: ConsoleAlert, b: ConsoleAlert): number {
  const rank = (x: ConsoleAlert) => SEVERITY_RANK[x.labels['severity'] ?? ''] ?? 3;
  return rank(a) - rank(b) || Date.parse(b.startsAt) - Date.parse(a.startsAt);
}

function stateOf(alert: ConsoleAlert): string {
  if (isFiring(alert)) return 'firing';
  if (alert.status.silencedBy.length > 0) return 'silenced';
  if (alert.status.inhibitedBy.length > 0) return 'inhibited';
  return alert.status.state;
}

/** A table of alerts. */
export function alertsTable(caption: string, alerts: readonly ConsoleAlert[], now: number, o: { hideCaption?: boolean } = {}): SafeHtml {
  return tableHtml(
    caption,
    ['Severity', 'Alert', 'Labels', 'Since', 'State'],
    alerts.map(
      (a) => [
        severityHtml(a.labels['severity']),
        html`<strong>${a.labels['alertname'] ?? '(no alertname)'}</strong>${a.annotations['summary'] ? html`<div>${a.annotations['summary']}</div>` : ''}${a.annotations['description'] ? html`<div class="meta">${a.annotations['description']}</div>` : ''}`,
        labelsHtml(a.labels, ['alertname', 'severity']),
        html`${timeHtml(a.startsAt)}<div class="meta">for ${age(a.startsAt, now)}</div>`,
        stateOf(a),
      ],
    ),
    o,
  );
}

/** The body of `/alerts`. */
export function alertsBody(ctx: PageContext, alerts: Loaded<readonly ConsoleAlert[]>): SafeHtml {
  if (!alerts.ok) return html`<h1>Alerts</h1>${failedHtml('Alerts', alerts.error)}`;
  const firing = alerts.value.filter(isFiring).sort(byUrgency);
  const quiet = alerts.value.filter((a) => !isFiring(a)).sort(byUrgency);
  return html`<h1>Alerts</h1>
<section aria-labelledby="firing-heading">
<h2 id="firing-heading">Firing <span class="muted">(${firing.length})</span></h2>
${firing.length === 0 ? html`<p>No alert is firing.</p>` : alertsTable(plural(firing.length, 'firing alert'), firing, ctx.now, { hideCaption: true })}
</section>
<section aria-labelledby="quiet-heading">
<h2 id="quiet-heading">Silenced or inhibited <span class="muted">(${quiet.length})</span></h2>
${quiet.length === 0 ? html`<p>None.</p>` : alertsTable(plural(quiet.length, 'silenced or inhibited alert'), quiet, ctx.now, { hideCaption: true })}
<p><a href="/alertmanager/">Silences in Alertmanager</a></p>
</section>`;
}
