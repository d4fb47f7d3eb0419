import { html, localHref, type SafeHtml } from '../html.js';

/** What the login page shows: the form, with the typed username and why the last try failed. */
export interface LoginView {
  /** Where to go after logging in (a same-origin path, already checked). */
  readonly next: string;
  readonly username?: string | undefined;
  /**
   * `invalid`: wrong username or password (never which); `missing`: a field left empty;
   * `locked`: too many failures; `refused`: the form was sent from another site or could not be
   * read; `unavailable`: the identity store did not answer.
   */
  readonly error?: LoginError | undefined;
  readonly retryAfterSeconds?: number | undefined;
}

const MESSAGES = {
  invalid: 'Wrong username or password.',
  missing: 'Give a username and a password.',
  locked: 'Too many failed attempts.',
  refused: 'The form could not be accepted. Reload the page and try again.',
  unavailable: 'Logging in is not possible right now. Try again in a moment.',
} as const;

/** Why a login failed, one fixed message each (the words `/login?error=` takes, as the gateway's form login sends them). */
export type LoginError = keyof typeof MESSAGES;

/** A `?error=` word as a {@link LoginError}, or undefined (any other text is never shown). */
export function loginError(word: string | null): LoginError | undefined {
  return word !== null && Object.hasOwn(MESSAGES, word) ? (word as LoginError) : undefined;
}

/** The body of `/login`. */
export function loginBody(view: LoginView): SafeHtml {
  const error = view.error;
  const wait = error === 'locked' && view.retryAfterSeconds ? ` Try again in ${Math.max(1, Math.ceil(view.retryAfterSeconds / 60))} min.` : error === 'locked' ? ' Try again later.' : '';
  const invalid = error === 'invalid' || error === 'missing' ? html` aria-invalid="true" aria-describedby="login-error"` : '';
  return html`<h1>Log in</h1>
<p class="muted">One login for the console, Grafana, Kibana, Prometheus and Alertmanager.</p>
${error ? html`<div class="notice notice-error" role="alert" id="login-error"><strong>${MESSAGES[error]}${wait}</strong></div>` : ''}
<form class="form-grid" method="post" action="${localHref('/login')}">
<input type="hidden" name="next" value="${view.next}">
<div class="field"><label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="128" value="${view.username ?? ''}"${invalid}></div>
<div class="field"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${invalid}></div>
<div><button type="submit">Log in</button></div>
</form>`;
}
