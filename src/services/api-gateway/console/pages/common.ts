import type { ConsolePrincipal } from '../backend.js';
import { html, type Interpolation, type SafeHtml } from '../html.js';
import type { ToolLink } from '../layout.js';

/** What every page's render function gets besides its data. */
export interface PageContext {
  readonly principal: ConsolePrincipal;
  /** Epoch ms: "for 12 min" is counted from here. */
  readonly now: number;
  readonly tools: readonly ToolLink[];
}

/** Data a page asked a component for: what it got, or why not (one failing component fails one section, not the page). */
export type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** The section's text when its data did not load. */
export function failedHtml(what: string, error: string): SafeHtml {
  return html`<p class="notice notice-error" role="alert"><strong>${what} could not be loaded.</strong> ${error}</p>`;
}

/**
 * A table with a caption and column headers; each row is its cells. Every cell carries its
 * column's header as `data-label`: on a narrow screen the stylesheet stacks each row into a card
 * and shows the header before each cell.
 */
export function tableHtml(caption: Interpolation, head: readonly string[], rows: readonly (readonly Interpolation[])[], o: { hideCaption?: boolean } = {}): SafeHtml {
  return html`<div class="table-wrap"><table class="stack">
<caption${o.hideCaption ? html` class="visually-hidden"` : ''}>${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>
${rows.map((cells) => html`<tr>${cells.map((cell, i) => html`<td data-label="${head[i] ?? ''}">${cell}</td>`)}</tr>\n`)}</tbody>
</table></div>`;
}

/** "1 alert", "3 alerts". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
