import type * as z from 'zod/mini';

/**
 * One zod issue as a short phrase for a one-line message (`expected "4"`, `required`,
 * `expected one of "firing", "resolved"`): zod/mini carries no English messages (its default is
 * "Invalid input"), so the few issue kinds that come up are worded here, the rest keep zod's text.
 */
export function issueText(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? 'required' : `expected ${issue.expected}, found ${input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${JSON.stringify(issue.values[0])}` : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : ''}`;
    default:
      return issue.message;
  }
}

/** `path: phrase` of an issue, the path dotted (`alerts.0.status`), `(root)` for the whole input. */
export function issueLine(issue: z.core.$ZodIssue, prefix: readonly (string | number)[] = [], root = '(root)'): string {
  const path = [...prefix, ...issue.path].map(String).join('.');
  return `${path || root}: ${issueText(issue)}`;
}
