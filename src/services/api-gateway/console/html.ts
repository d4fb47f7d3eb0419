/**
 * The console's one HTML-escaping helper. Every value interpolated into a page passes through
 * {@link html}: a tagged template that escapes each value for both HTML contexts the pages use,
 * text and double-quoted attribute values, unless the value is itself the output of `html`
 * ({@link SafeHtml}). Rules the templates keep (test/services/api-gateway/console-html.test.ts
 * checks the sources): attribute values are always double-quoted, no `style` attributes, no
 * inline scripts or event handlers, and URLs come from {@link localHref} only.
 */

/** Markup that is safe to insert as it is: only {@link html} and {@link raw} make one. */
export class SafeHtml {
  /** @internal use {@link html}. */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a template takes: markup, text (escaped), numbers; nothing for null, undefined and false. */
export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * `value` as HTML text or a quoted attribute value: `& < > " '` escaped; control characters that
 * HTML does not allow (C0 but tab, LF, CR; DEL; C1; lone surrogates; U+FFFE/FFFF) become U+FFFD.
 */
export function escapeHtml(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return escapeHtml(String(value));
}

/** A template whose every interpolated value is escaped (arrays are joined; `false`, null and undefined render nothing). */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** Markup the console generates itself (the SVG path data of a chart), never from input. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * A same-origin path with an optional query, for `href` and `action`: `path` must start with one
 * `/` (never `//` or `/\`, which browsers read as another host); query values are URL-encoded
 * (undefined ones left out). Throws on anything else: an href is never a `javascript:` URL.
 */
export function localHref(path: string, query: Readonly<Record<string, string | number | undefined>> = {}): string {
  if (!/^\/(?![/\\])[^\s\\]*$/.test(path)) throw new Error(`not a local path: ${JSON.stringify(path)}`);
  const params = Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined);
  return params.length === 0 ? path : `${path}?${new URLSearchParams(params.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

/** `/anomalies/series/<id>` with the id URL-encoded as one path segment. */
export function pathWith(prefix: string, ...segments: readonly string[]): string {
  return [prefix.replace(/\/$/, ''), ...segments.map(encodeURIComponent)].join('/');
}
