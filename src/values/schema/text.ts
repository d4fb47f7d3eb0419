import * as z from 'zod';

/**
 * Text values that land in a line of a config file (grafana.ini, alertmanager.yml, redis.conf,
 * curl configs) or in a template language: what each accepts, checked once here.
 */

/** C0 controls, DEL, NEL and the Unicode line and paragraph separators: line breaks and the like. */
export const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;

/** Why `value` cannot be one line of a config file, or undefined. */
function controlProblem(value: string): string | undefined {
  const match = CONTROL.exec(value);
  if (!match) return undefined;
  const code = match[0].codePointAt(0)!;
  const name = code === 10 ? 'a line break' : code === 13 ? 'a carriage return' : code === 9 ? 'a tab' : `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `contains ${name} at position ${match.index + 1}`;
}

/** One line of text (no line break or other control character); `what` names it in messages. */
export const singleLine = (what: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = controlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', input: value, message: `${what} ${problem}, which its config file cannot hold on one line` });
  });

/**
 * A password checked by the server that reads it: `what` and why it refuses control characters
 * (Redis: auth.conf is one line per directive; Elasticsearch: the setup script refuses them).
 */
export const password = (what: string, why: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = controlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', input: '(hidden)', message: `${what} ${problem}: ${why}; choose another` });
  });

/**
 * Text of an Alertmanager receiver field that Alertmanager expands as a Go template at send time
 * (email to/from, Slack channel…): `{{` would start a template action and the notification would
 * fail when it is sent, so it is refused, as are line breaks.
 */
export const templatedLine = (what: string) =>
  singleLine(what).superRefine((value, ctx) => {
    if (value.includes('{{')) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `${what} contains "{{", which Alertmanager would expand as a Go template when it sends the notification (and fail): remove it`,
      });
    }
  });

/** `local@domain` or `Name <local@domain>`: one address as Go's net/mail parses it (simplified). */
const ADDRESS = /^(?:[^<>,"@\s][^<>,"@]*<[^\s<>@,"]+@[^\s<>@,"]+>|[^\s<>@,"]+@[^\s<>@,"]+)$/;

/**
 * Email address(es) of the email receiver, or empty (not given): `list` allows several,
 * comma-separated (Alertmanager's `to`). Alertmanager parses them only when it sends, so a
 * malformed one would fail every notification.
 */
export const emailAddresses = (what: string, list: boolean) =>
  templatedLine(what).superRefine((value, ctx) => {
    if (value === '') return;
    const parts = list ? value.split(',').map((p) => p.trim()) : [value.trim()];
    const bad = parts.find((p) => !ADDRESS.test(p));
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `${what}: ${JSON.stringify(bad)} is not an email address such as ops@example.com or "Ops <ops@example.com>"${list ? ' (separate several with commas)' : ''}`,
      });
    }
  });
