import type { ConsoleAnomaly, ConsolePoint } from './backend.js';
import { clock, labelsText, num } from './format.js';
import { html, raw, type SafeHtml } from './html.js';

/**
 * A series drawn on the server as SVG: its values as a line, the baseline band (lower..upper)
 * behind it, the expected value dashed, the points outside the band marked with a ringed dot (a
 * shape, not a colour alone) and the open anomaly's time span shaded. Colours come from the
 * stylesheet's classes (the CSP allows no inline style). The text alternative: the SVG's
 * `<title>` and `<desc>` (range, points outside the band, the latest value against its band)
 * and a table of the points in a `<details>`.
 */

/** Sizes: the overview's small charts and the series page's large ones. */
const SIZES = {
  small: { width: 360, height: 120, left: 40, right: 6, top: 8, bottom: 18, drawPoints: 120, tableRows: 20 },
  large: { width: 720, height: 240, left: 52, right: 10, top: 10, bottom: 22, drawPoints: 360, tableRows: 60 },
} as const;

export interface ChartOptions {
  readonly size: keyof typeof SIZES;
  /** Unique on the page: prefix of the title and description ids. */
  readonly id: string;
  /** What is drawn, in words (`HTTP p95 latency`). */
  readonly title: string;
  readonly unit: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly anomaly?: ConsoleAnomaly | undefined;
}

/** True when the point has a band and its value lies outside it. */
export function outsideBand(p: ConsolePoint): boolean {
  return p.value !== null && p.lower !== undefined && p.upper !== undefined && (p.value < p.lower || p.value > p.upper);
}

/**
 * At most `max` points for drawing: when there are more, each of max/2 time buckets keeps its
 * lowest and highest value (spikes survive), and every point outside the band is kept.
 */
export function thinPoints(points: readonly ConsolePoint[], max: number): ConsolePoint[] {
  if (points.length <= max) return [...points];
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = points.length / buckets;
  const keep = new Set<number>();
  for (let b = 0; b < buckets; b += 1) {
    const from = Math.floor(b * size);
    const to = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = -1;
    let hi = -1;
    for (let i = from; i < to; i += 1) {
      const v = points[i]!.value;
      if (outsideBand(points[i]!)) keep.add(i);
      if (v === null) continue;
      if (lo < 0 || v < points[lo]!.value!) lo = i;
      if (hi < 0 || v > points[hi]!.value!) hi = i;
    }
    if (lo >= 0) keep.add(lo);
    if (hi >= 0) keep.add(hi);
    if (lo < 0) keep.add(from);
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}

/** The rows of the data table: every point outside the band, and every k-th so that at most `max` rows. */
function tableRows(points: readonly ConsolePoint[], max: number): { rows: ConsolePoint[]; every: number } {
  const outside = points.filter(outsideBand);
  const room = Math.max(1, max - Math.min(outside.length, max));
  const every = Math.max(1, Math.ceil(points.length / room));
  const rows = points.filter((p, i) => outsideBand(p) || i % every === (points.length - 1) % every);
  return { rows: rows.slice(-max), every };
}

const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

/** Runs of consecutive points for which `has` holds. */
function runs(points: readonly ConsolePoint[], has: (p: ConsolePoint) => boolean): ConsolePoint[][] {
  const out: ConsolePoint[][] = [];
  let run: ConsolePoint[] = [];
  for (const p of points) {
    if (has(p)) run.push(p);
    else if (run.length > 0) (out.push(run), (run = []));
  }
  if (run.length > 0) out.push(run);
  return out;
}

/** The text alternative's sentence: what the chart shows. */
export function chartDescription(points: readonly ConsolePoint[], o: Pick<ChartOptions, 'unit' | 'anomaly'>): string {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (points.length === 0 || values.length === 0) return 'No points yet.';
  const unit = o.unit ? ` ${o.unit}` : '';
  const first = points[0]!.t;
  const last = points[points.length - 1]!;
  const outside = points.filter(outsideBand).length;
  const latest = [...points].reverse().find((p) => p.value !== null)!;
  const band = latest.lower !== undefined && latest.upper !== undefined ? ` against a band of ${num(latest.lower)} to ${num(latest.upper)}` : ' (no baseline yet)';
  return [
    `${points.length} ${points.length === 1 ? 'point' : 'points'} from ${clock(first)} to ${clock(last.t)} UTC, values ${num(Math.min(...values))} to ${num(Math.max(...values))}${unit}.`,
    `${outside} ${outside === 1 ? 'point lies' : 'points lie'} outside the baseline band.`,
    `Latest ${num(latest.value)}${unit}${band}.`,
    o.anomaly ? `Anomaly open since ${clock(o.anomaly.startsAt)} UTC: ${o.anomaly.summary}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** A `<figure>`: the SVG chart, its legend and the data table. */
export function seriesChart(points: readonly ConsolePoint[], o: ChartOptions): SafeHtml {
  const s = SIZES[o.size];
  const titleId = `${o.id}-title`;
  const descId = `${o.id}-desc`;
  const title = `${o.title}: ${labelsText(o.labels)}`;
  const description = chartDescription(points, o);
  const drawn = thinPoints(points, s.drawPoints);
  const ys = drawn.flatMap((p) => [p.value, p.lower, p.upper]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  const caption = html`<figcaption class="visually-hidden">${title}</figcaption>`;
  if (drawn.length === 0 || ys.length === 0) return html`<figure class="chart-figure chart-${o.size}">${caption}<p class="muted">${description}</p></figure>`;

  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi === lo) (lo -= Math.abs(lo) * 0.1 || 1), (hi += Math.abs(hi) * 0.1 || 1);
  const pad = (hi - lo) * 0.06;
  lo -= pad;
  hi += pad;
  const t0 = drawn[0]!.t;
  const t1 = Math.max(drawn[drawn.length - 1]!.t, t0 + 1);
  const plotW = s.width - s.left - s.right;
  const plotH = s.height - s.top - s.bottom;
  const x = (t: number) => fixed(s.left + ((t - t0) / (t1 - t0)) * plotW);
  const y = (v: number) => fixed(s.top + (1 - (v - lo) / (hi - lo)) * plotH);
  const line = (run: ConsolePoint[], v: (p: ConsolePoint) => number) => run.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t)} ${y(v(p))}`).join('');

  const band = runs(drawn, (p) => p.lower !== undefined && p.upper !== undefined)
    .map((run) => `${line(run, (p) => p.upper!)}${[...run].reverse().map((p) => `L${x(p.t)} ${y(p.lower!)}`).join('')}Z`)
    .join('');
  const expected = runs(drawn, (p) => p.expected !== undefined).map((run) => line(run, (p) => p.expected!)).join('');
  const value = runs(drawn, (p) => p.value !== null).map((run) => line(run, (p) => p.value!)).join('');
  const marks = drawn.filter(outsideBand).map((p) => `<circle class="mark" cx="${x(p.t)}" cy="${y(p.value!)}" r="3.5"/>`).join('');
  const a = o.anomaly;
  const windowFrom = a ? Math.max(a.startsAt, t0) : 0;
  const windowTo = a ? Math.min(a.endsAt ?? t1, t1) : 0;
  const span = a && windowTo >= windowFrom ? `<rect class="window" x="${x(windowFrom)}" y="${s.top}" width="${fixed(Math.max(2, Number(x(windowTo)) - Number(x(windowFrom))))}" height="${plotH}"/>` : '';
  const gridYs = [hi - pad, (hi + lo) / 2, lo + pad];
  const grid = gridYs.map((v) => `<line class="gridline" x1="${s.left}" x2="${s.width - s.right}" y1="${y(v)}" y2="${y(v)}"/>`).join('');
  const yLabels = gridYs.map((v) => html`<text class="axis" x="${s.left - 4}" y="${y(v)}" text-anchor="end" dominant-baseline="middle">${num(v)}</text>`);
  const xTicks = o.size === 'large' ? [t0, (t0 + t1) / 2, t1] : [t0, t1];
  const anchors = o.size === 'large' ? ['start', 'middle', 'end'] : ['start', 'end'];
  const xLabels = xTicks.map((t, i) => html`<text class="axis" x="${x(t)}" y="${s.height - 4}" text-anchor="${anchors[i]!}">${clock(t)}</text>`);

  const { rows, every } = tableRows(points, s.tableRows);
  const unit = o.unit ? ` (${o.unit})` : '';
  return html`<figure class="chart-figure chart-${o.size}">
${caption}
<svg class="chart" viewBox="0 0 ${s.width} ${s.height}" role="img" aria-labelledby="${titleId} ${descId}" focusable="false">
<title id="${titleId}">${title}</title>
<desc id="${descId}">${description}</desc>
${raw(grid)}${raw(span)}<path class="band" d="${band}"/><path class="expected" d="${expected}"/><path class="value" d="${value}"/>${raw(marks)}
${yLabels}${xLabels}
</svg>
<ul class="legend" aria-hidden="true">
<li><span class="key key-value"></span>Value</li><li><span class="key key-band"></span>Baseline band</li><li><span class="key key-expected"></span>Expected</li><li><span class="key key-mark"></span>Outside the band</li>${a ? html`<li><span class="key key-window"></span>Anomaly</li>` : ''}
</ul>
<details class="chart-data">
<summary>Data table${rows.length < points.length ? ` (${rows.length} of ${points.length} points)` : ` (${points.length} points)`}</summary>
<div class="table-wrap">
<table>
<caption>${title}${every > 1 ? `: every ${every}th point and every point outside the band` : ''}</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Value${unit}</th><th scope="col">Expected</th><th scope="col">Band</th><th scope="col">Score</th><th scope="col">Outside the band</th></tr></thead>
<tbody>
${rows.map(
  (p) =>
    html`<tr${outsideBand(p) ? raw(' class="outside"') : ''}><td>${new Date(p.t).toISOString().slice(0, 16).replace('T', ' ')}</td><td>${num(p.value)}</td><td>${num(p.expected)}</td><td>${p.lower !== undefined && p.upper !== undefined ? `${num(p.lower)} – ${num(p.upper)}` : '–'}</td><td>${p.score !== undefined ? num(p.score) : '–'}</td><td>${outsideBand(p) ? 'yes' : 'no'}</td></tr>\n`,
)}</tbody>
</table>
</div>
</details>
</figure>`;
}
