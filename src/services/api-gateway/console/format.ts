import { html, type SafeHtml } from './html.js';

/** How the console writes times, numbers and labels: UTC everywhere (one clock for every reader). */

/** `2026-12-06 14:03 UTC` in a `<time>` element (nothing for an invalid time). */
export function timeHtml(at: number | string | undefined): SafeHtml {
  const ms = typeof at === 'string' ? Date.parse(at) : at;
  if (ms === undefined || !Number.isFinite(ms)) return html`<span class="muted">–</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** `14:03` (UTC) of an epoch-ms time, for chart axes. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** How long since `at` in words: `42 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function age(at: number | string, now: number): string {
  const ms = typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** How long until `at` in words (as {@link age}; `0 s` once it passed). */
export function until(at: number | string, now: number): string {
  const ms = typeof at === 'string' ? Date.parse(at) : at;
  return Number.isFinite(ms) ? age(now, ms) : '–';
}

/** A number for people: at most 4 significant digits, thousands as `12.3k`, no exponent below 1e-3. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${trim((value / 1e3).toPrecision(3))}k`;
  if (abs === 0 || abs >= 1e-3) return trim(value.toPrecision(4));
  return value.toExponential(1);
}

/** `1.500` → `1.5`, `2.000` → `2` (only after a decimal point). */
function trim(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/** Labels as `name="value"` chips (sorted by name), each value escaped. */
export function labelsHtml(labels: Readonly<Record<string, string>>, skip: readonly string[] = []): SafeHtml {
  const entries = Object.entries(labels)
    .filter(([name]) => !skip.includes(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return html`<span class="muted">no labels</span>`;
  return html`<ul class="labels">${entries.map(([name, value]) => html`<li><code>${name}="${value}"</code></li>`)}</ul>`;
}

/** Labels as one line of text: `job="api", pod="web-1"` (for titles and chart descriptions). */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? 'no labels' : entries.map(([n, v]) => `${n}="${v}"`).join(', ');
}

/** The severity as a badge: a word and a shape, not colour alone. */
export function severityHtml(severity: string | undefined): SafeHtml {
  const s = (severity ?? 'none').toLowerCase();
  const known = s === 'critical' || s === 'warning' || s === 'info' ? s : 'other';
  const mark = known === 'critical' ? '▲' : known === 'warning' ? '◆' : '●';
  return html`<span class="badge sev-${known}"><span aria-hidden="true">${mark}</span> ${severity ?? 'none'}</span>`;
}
