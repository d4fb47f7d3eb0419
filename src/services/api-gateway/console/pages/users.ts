import { atLeast, ROLES, type Role } from '../../identity/roles.js';
import type { ConsoleApiKey, ConsolePrincipal, ConsoleUser } from '../backend.js';
import { timeHtml } from '../format.js';
import { html, localHref, pathWith, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { failedHtml, plural, tableHtml, type Loaded, type PageContext } from './common.js';

/**
 * `/users`: for admins the users (create, change role, disable or enable); for everyone their
 * own API keys (create with a role up to their own and an expiry, revoke). A new key's secret is
 * shown once, in the answer to the form that created it.
 */

/** Expiries the key form offers, days (absent: never). */
export const API_KEY_EXPIRIES = [7, 30, 90, 365] as const;

/** What the create-user form keeps after a refused try (never the password). */
export interface UserFormValues {
  readonly username?: string | undefined;
  readonly role?: Role | undefined;
}

export interface UsersData {
  /** Absent for non-admins. */
  readonly users?: Loaded<readonly ConsoleUser[]> | undefined;
  readonly apiKeys: Loaded<readonly ConsoleApiKey[]>;
  readonly form?: UserFormValues | undefined;
}

function roleOptions(roles: readonly Role[], selected: Role | undefined): SafeHtml[] {
  return roles.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${r}</option>`);
}

function usersTable(principal: ConsolePrincipal, users: readonly ConsoleUser[]): SafeHtml {
  return tableHtml(
    plural(users.length, 'user'),
    ['User', 'Role', 'State', 'Created', 'Last login', 'Change'],
    users.map((u, i) => {
      const self = u.username === principal.username;
      const action = localHref(pathWith('/users', u.username));
      const change = self
        ? html`<span class="hint">You (another admin changes your account)</span>`
        : html`<div class="actions-row">
<form class="inline" method="post" action="${action}">${csrfField(principal)}<label class="visually-hidden" for="role-${i}">Role of ${u.username}</label><select id="role-${i}" name="role">${roleOptions(ROLES, u.role)}</select> <button type="submit" class="secondary" aria-label="Change role of ${u.username}">Change role</button></form>
<form class="inline" method="post" action="${action}" ${u.disabled ? '' : html`data-confirm="Disable ${u.username}? Their sessions end now."`}>${csrfField(principal)}<input type="hidden" name="disabled" value="${u.disabled ? 'false' : 'true'}"><button type="submit" class="${u.disabled ? 'secondary' : 'danger'}" aria-label="${u.disabled ? 'Enable' : 'Disable'} ${u.username}">${u.disabled ? 'Enable' : 'Disable'}</button></form>
</div>`;
      return [
        u.username,
        u.role,
        u.disabled ? html`<span class="badge state-bad">disabled</span>` : html`<span class="badge state-ok">active</span>`,
        timeHtml(u.createdAt),
        timeHtml(u.lastLoginAt),
        change,
      ];
    }),
    { hideCaption: true },
  );
}

function createUserForm(principal: ConsolePrincipal, form: UserFormValues | undefined): SafeHtml {
  return html`<h3 id="new-user-heading">New user</h3>
<form class="form-grid" method="post" action="/users" aria-labelledby="new-user-heading">${csrfField(principal)}
<div class="field"><label for="new-username">Username <span class="hint">(letters, digits, . _ -)</span></label><input id="new-username" name="username" type="text" required maxlength="64" autocomplete="off" autocapitalize="none" spellcheck="false" value="${form?.username ?? ''}"></div>
<div class="field"><label for="new-password">Password <span class="hint">(at least 12 characters)</span></label><input id="new-password" name="password" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"></div>
<div class="field"><label for="new-role">Role</label><select id="new-role" name="role">${roleOptions(ROLES, form?.role ?? 'viewer')}</select></div>
<div><button type="submit">Create user</button></div>
</form>`;
}

function apiKeysHtml(principal: ConsolePrincipal, keys: Loaded<readonly ConsoleApiKey[]>): SafeHtml {
  const list = !keys.ok
    ? failedHtml('API keys', keys.error)
    : keys.value.length === 0
      ? html`<p>You have no API key.</p>`
      : tableHtml(
          plural(keys.value.length, 'API key'),
          ['Name', 'Role', 'Created', 'Expires', 'Last used', 'State'],
          keys.value.map(
            (k) => [
              html`${k.name}<div class="meta"><code>${k.id}</code></div>`,
              k.role,
              timeHtml(k.createdAt),
              k.expiresAt ? timeHtml(k.expiresAt) : 'never',
              timeHtml(k.lastUsedAt),
              k.revoked
                ? html`<span class="badge state-bad">revoked</span>`
                : html`<form class="inline" method="post" action="${localHref(pathWith('/api-keys', k.id, 'revoke'))}" data-confirm="Revoke the API key ${k.name}?">${csrfField(principal)}<button type="submit" class="danger" aria-label="Revoke ${k.name}">Revoke</button></form>`,
            ],
          ),
          { hideCaption: true },
        );
  const roles = ROLES.filter((r) => atLeast(principal.role, r));
  return html`${list}
<h3 id="new-key-heading">New API key</h3>
<form class="form-grid" method="post" action="/api-keys" aria-labelledby="new-key-heading">${csrfField(principal)}
<div class="field"><label for="key-name">Name <span class="hint">(what uses it)</span></label><input id="key-name" name="name" type="text" required maxlength="100" autocomplete="off"></div>
<div class="field"><label for="key-role">Role <span class="hint">(up to your own)</span></label><select id="key-role" name="role">${roleOptions(roles, 'viewer')}</select></div>
<div class="field"><label for="key-expiry">Expires</label><select id="key-expiry" name="expiresInDays">${API_KEY_EXPIRIES.map((d) => html`<option value="${d}"${d === 90 ? html` selected` : ''}>in ${d} days</option>`)}<option value="never">never</option></select></div>
<div><button type="submit">Create API key</button></div>
</form>`;
}

/** The notice detail that shows a new key's secret, once. */
export function secretHtml(secret: string): SafeHtml {
  return html`<p>Copy it now: it is not shown again. Send it as <code>Authorization: Bearer &lt;key&gt;</code>.</p><code class="secret" id="new-secret">${secret}</code>`;
}

/** The body of `/users`. */
export function usersBody(ctx: PageContext, data: UsersData): SafeHtml {
  const admin = atLeast(ctx.principal.role, 'admin');
  return html`<h1>${admin ? 'Users and API keys' : 'API keys'}</h1>
${
  admin && data.users
    ? html`<section aria-labelledby="users-heading"><h2 id="users-heading">Users</h2>
${data.users.ok ? usersTable(ctx.principal, data.users.value) : failedHtml('Users', data.users.error)}
${createUserForm(ctx.principal, data.form)}
</section>`
    : ''
}
<section aria-labelledby="keys-heading"><h2 id="keys-heading">Your API keys</h2>
<p class="muted">For scripts and automation: a key acts as you, with the role you give it.</p>
${apiKeysHtml(ctx.principal, data.apiKeys)}
</section>`;
}
