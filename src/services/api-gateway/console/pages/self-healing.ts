import type { ConsoleApproval, ConsoleDecision } from '../backend.js';
import { timeHtml } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { pendingApprovalsHtml } from './approvals.js';
import { failedHtml, plural, tableHtml, type Loaded, type PageContext } from './common.js';

/** Self-healing: pending approvals (with their buttons), decided approvals, and the executor's decisions. */

/** Outcomes that went wrong or need a person, and those that changed something. */
const BAD = new Set(['failed', 'gave-up', 'blocked', 'rejected', 'expired']);
const DONE = new Set(['acted', 'approved']);

function outcomeHtml(outcome: string): SafeHtml {
  const cls = BAD.has(outcome) ? 'state-bad' : DONE.has(outcome) ? 'state-ok' : outcome === 'pending' ? 'state-warn' : 'state-info';
  return html`<span class="badge ${cls}">${outcome}</span>`;
}

function decidedHtml(approvals: readonly ConsoleApproval[]): SafeHtml {
  const decided = approvals.filter((a) => a.state !== 'pending');
  if (decided.length === 0) return html`<p>None in the last day.</p>`;
  return tableHtml(
    plural(decided.length, 'decided approval'),
    ['Action', 'Target', 'Decision', 'By', 'When', 'Result'],
    decided.map(
      (a) => [
        html`${a.summary}<div class="meta">rule ${a.rule}</div>`,
        html`${a.target.kind} <code>${a.target.namespace}/${a.target.name}</code>`,
        html`${outcomeHtml(a.state)}${a.comment ? html`<div class="meta">${a.comment}</div>` : ''}`,
        html`${a.decidedBy ? `${a.decidedBy.actor} (${a.decidedBy.role})` : '–'}`,
        timeHtml(a.decidedAt),
        html`${a.result ? html`${outcomeHtml(a.result.outcome)}<div class="meta">${a.result.reason}</div>` : '–'}`,
      ],
    ),
    { hideCaption: true },
  );
}

function decisionsHtml(decisions: readonly ConsoleDecision[]): SafeHtml {
  if (decisions.length === 0) return html`<p>No decision yet.</p>`;
  return tableHtml(
    plural(decisions.length, 'decision'),
    ['When', 'Alert', 'Action', 'Target', 'Outcome', 'Why'],
    decisions.map(
      (d) => [
        timeHtml(d.at),
        d.alertname,
        html`${d.action}<div class="meta">rule ${d.rule}</div>`,
        html`${d.target.name ? html`${d.target.kind} <code>${d.target.namespace}/${d.target.name}</code>` : '–'}`,
        html`${outcomeHtml(d.outcome)}${d.dryRun ? html` <span class="meta">(dry run)</span>` : ''}`,
        d.reason,
      ],
    ),
    { hideCaption: true },
  );
}

/** The body of `/self-healing`. */
export function selfHealingBody(ctx: PageContext, data: { approvals: Loaded<readonly ConsoleApproval[]>; decisions: Loaded<readonly ConsoleDecision[]> }): SafeHtml {
  return html`<h1>Self-healing</h1>
<p>In approval mode the executor holds each live action until a person decides. Admins approve any action, operators approve dry-run ones; operators and admins reject.</p>
<section aria-labelledby="pending-heading"><h2 id="pending-heading">Pending approvals</h2>
${data.approvals.ok ? pendingApprovalsHtml(ctx.principal, data.approvals.value, ctx.now, '/self-healing') : failedHtml('Approvals', data.approvals.error)}</section>
<section aria-labelledby="decided-heading"><h2 id="decided-heading">Decided approvals</h2>
${data.approvals.ok ? decidedHtml(data.approvals.value) : failedHtml('Approvals', data.approvals.error)}</section>
<section aria-labelledby="decisions-heading"><h2 id="decisions-heading">Decisions</h2>
${data.decisions.ok ? decisionsHtml(data.decisions.value) : failedHtml('Decisions', data.decisions.error)}</section>`;
}
