import { html, type SafeHtml } from '../html.js';

/** The body of an error page: what went wrong and where to go from here. */
export function errorBody(title: string, message: string): SafeHtml {
  return html`<h1>${title}</h1>
<div class="notice notice-error" role="alert"><strong>${message}</strong></div>
<p><a href="/">Back to the overview</a></p>`;
}
