import { seriesIdOf } from '../anomaly-series.js';
import type { ConsoleAnomaly, ConsoleSeries } from '../backend.js';
import { seriesChart } from '../chart.js';
import { age, labelsHtml, labelsText, num, severityHtml, timeHtml } from '../format.js';
import { html, localHref, pathWith, type SafeHtml } from '../html.js';
import { failedHtml, plural, tableHtml, type Loaded, type PageContext } from './common.js';

/** Anomalies: the list of active ones, and one series drawn per label set against its band. */

const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 0, warning: 1 };

/** Critical first, then newest first. */
export function byAnomalyUrgency(a: ConsoleAnomaly, b: ConsoleAnomaly): number {
  return (SEVERITY_RANK[a.severity] ?? 2) - (SEVERITY_RANK[b.severity] ?? 2) || b.startsAt - a.startsAt;
}

/** The link to the series that draws `anomaly`, when one does. */
export function seriesLink(anomaly: ConsoleAnomaly, text: string): SafeHtml {
  const id = seriesIdOf(anomaly);
  if (!id) return html`<span class="muted">no series</span>`;
  return html`<a href="${localHref(pathWith('/anomalies/series', id))}" aria-label="${text}: ${anomaly.summary}">${text}</a>`;
}

/** The body of `/anomalies`. */
export function anomaliesBody(ctx: PageContext, anomalies: Loaded<readonly ConsoleAnomaly[]>): SafeHtml {
  if (!anomalies.ok) return html`<h1>Anomalies</h1>${failedHtml('Anomalies', anomalies.error)}`;
  const list = [...anomalies.value].sort(byAnomalyUrgency);
  return html`<h1>Anomalies</h1>
<section aria-labelledby="active-heading">
<h2 id="active-heading">Active <span class="muted">(${list.length})</span></h2>
${
  list.length === 0
    ? html`<p>No anomaly is active.</p>`
    : tableHtml(
        plural(list.length, 'active anomaly', 'active anomalies'),
        ['Severity', 'Anomaly', 'Where', 'Since', 'Value', 'Series'],
        list.map(
          (a) => [
            severityHtml(a.severity),
            html`<strong>${a.summary}</strong><div class="meta">${a.kind} · ${a.source}</div>${labelsHtml(a.labels)}`,
            html`${a.component}<div class="meta">${a.namespace}</div>`,
            html`${timeHtml(a.startsAt)}<div class="meta">for ${age(a.startsAt, ctx.now)}</div>`,
            num(a.value),
            seriesLink(a, 'Chart'),
          ],
        ),
        { hideCaption: true },
      )
}
</section>`;
}

/** Label sets the series page draws (the AI engine lists those with open anomalies first): about 25 KB of HTML each. */
export const SERIES_PAGE_SETS = 8;

/** The body of `/anomalies/series/:id`: the first {@link SERIES_PAGE_SETS} label sets with their charts and data. */
export function seriesBody(_ctx: PageContext, series: ConsoleSeries): SafeHtml {
  const shown = series.labelSets.slice(0, SERIES_PAGE_SETS);
  const rest = series.labelSets.length - shown.length;
  return html`<nav aria-label="Breadcrumb" class="meta"><a href="/anomalies">Anomalies</a> › <span aria-current="page">${series.id}</span></nav>
<h1>${series.description || series.id}</h1>
<section aria-labelledby="about-heading">
<h2 id="about-heading">About this series</h2>
<dl class="facts">
<dt>Id</dt><dd><code>${series.id}</code></dd>
<dt>Source</dt><dd>${series.source}</dd>
<dt>Anomaly kind</dt><dd>${series.kind}</dd>
${series.unit ? html`<dt>Unit</dt><dd>${series.unit}</dd>` : ''}
<dt>Step</dt><dd>${series.stepSeconds} s</dd>
${series.query ? html`<dt>Query</dt><dd><code>${series.query}</code></dd>` : ''}
</dl>
</section>
${series.labelSets.length === 0 ? html`<p>No label set is tracked yet.</p>` : ''}
${shown.map((set, i) => {
  const open = set.anomaly ?? set.levelShift;
  return html`<section aria-labelledby="set-${i}-heading">
<h2 id="set-${i}-heading">${labelsText(set.labels)}</h2>
${open ? html`<p>${severityHtml(open.severity)} <strong>${open.summary}</strong> <span class="meta">since ${timeHtml(open.startsAt)}</span></p>` : html`<p class="muted">No open anomaly.</p>`}
${seriesChart(set.points, { size: 'large', id: `chart-${i}`, title: series.description || series.id, unit: series.unit, labels: set.labels, anomaly: open })}
</section>`;
})}
${rest > 0 ? html`<p class="muted">${plural(rest, 'more label set')} ${rest === 1 ? 'is' : 'are'} not drawn here (those with open anomalies come first).</p>` : ''}`;
}
