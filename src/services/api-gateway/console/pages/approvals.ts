import { mayApprove as mayApproveAs, mayReject as mayRejectAs } from '../../identity/roles.js';
import type { ConsoleApproval, ConsolePrincipal } from '../backend.js';
import { age, severityHtml, until } from '../format.js';
import { html, localHref, pathWith, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { tableHtml } from './common.js';

/**
 * Pending approvals with their Approve and Reject buttons, as the roles allow (the rule of
 * api/platform.ts): an admin approves any action, an operator only a dry-run one, operators and
 * admins reject any; viewers see the list. Each button is a POST form with the CSRF token and the
 * page to come back to.
 */

/** True when `role` may approve `approval` (admin: any; operator: a dry-run one). */
export function mayApprove(principal: ConsolePrincipal, approval: Pick<ConsoleApproval, 'dryRun'>): boolean {
  return mayApproveAs(principal.role, approval.dryRun === true);
}

/** True when `role` may reject a pending approval. */
export function mayReject(principal: ConsolePrincipal): boolean {
  return mayRejectAs(principal.role);
}

/** The pages a decision may come back to. */
export const DECISION_RETURN_PATHS = ['/', '/self-healing'] as const;

function decisionForms(principal: ConsolePrincipal, a: ConsoleApproval, back: string): SafeHtml {
  const form = (verb: 'approve' | 'reject', label: string, cls: string, question: string) =>
    html`<form class="inline" method="post" action="${localHref(pathWith('/self-healing/approvals', a.id, verb))}" data-confirm="${question}">${csrfField(principal)}<input type="hidden" name="back" value="${back}"><button type="submit" class="${cls}" aria-label="${label}: ${a.summary}">${label}</button></form>`;
  const approve = mayApprove(principal, a) ? form('approve', 'Approve', 'approve', `Approve: ${a.summary}?`) : undefined;
  const reject = mayReject(principal) ? form('reject', 'Reject', 'danger', `Reject: ${a.summary}?`) : undefined;
  const why = !approve && mayReject(principal) ? html`<span class="hint">A live action: an admin approves it.</span>` : !approve ? html`<span class="hint">An operator or admin decides.</span>` : '';
  return html`<div class="actions-row">${approve}${reject}${why}</div>`;
}

/** The table of pending approvals (or a sentence when there are none). */
export function pendingApprovalsHtml(principal: ConsolePrincipal, approvals: readonly ConsoleApproval[], now: number, back: (typeof DECISION_RETURN_PATHS)[number]): SafeHtml {
  const pending = approvals.filter((a) => a.state === 'pending');
  if (pending.length === 0) return html`<p>No action is waiting for approval.</p>`;
  return tableHtml(
    `${pending.length} pending`,
    ['Action', 'Target', 'Alert', 'Held', 'Decision'],
    pending.map(
      (a) => [
        html`<strong>${a.summary}</strong><div class="meta">rule ${a.rule} · ${a.action} · ${a.dryRun ? 'dry run' : 'live'}</div>`,
        html`${a.target.kind} <code>${a.target.namespace}/${a.target.name}</code>`,
        html`${a.alert.labels['alertname'] ?? '–'} ${severityHtml(a.alert.labels['severity'])}`,
        html`for ${age(a.createdAt, now)}<div class="meta">expires in ${until(a.expiresAt, now)}</div>`,
        decisionForms(principal, a, back),
      ],
    ),
    { hideCaption: true },
  );
}
