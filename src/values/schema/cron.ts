import * as z from 'zod';

/**
 * Cron schedules as a Kubernetes CronJob accepts them: the API server parses `spec.schedule` with
 * robfig/cron's standard parser (five fields: minute, hour, day of month, month, day of week; each a
 * comma list of `*` or `?` (any), numbers, names (jan-dec, sun-sat), ranges `a-b` and steps
 * `/n`), or one of the macros below. `TZ=` prefixes are refused (spec.timeZone replaces them), and
 * so is `@every`, which the API accepts but the documentation does not promise.
 */

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

/** The value of one number or name in `field`, or a problem. */
function valueOf(text: string, field: Field): number | string {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(text)) return `"${text}" is not a number${field.names ? ' or a name' : ''}`;
  const n = Number(text);
  return n < field.min || n > field.max ? `${n} is outside ${field.min}-${field.max}` : n;
}

/** Why one term (`*`, `a`, `a-b`, each with an optional `/step`) of `field` is invalid, or undefined. */
function termProblem(term: string, field: Field): string | undefined {
  const [range = '', step, extra] = term.split('/');
  if (extra !== undefined) return `"${term}" has more than one "/"`;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) return `the step of "${term}" must be a positive number`;
  // robfig/cron takes `?` as `*` in every field.
  if (range === '*' || range === '?') return undefined;
  const [low = '', high, beyond] = range.split('-');
  if (beyond !== undefined) return `"${range}" has more than one "-"`;
  const start = valueOf(low, field);
  if (typeof start === 'string') return start;
  if (high === undefined) return undefined;
  const end = valueOf(high, field);
  if (typeof end === 'string') return end;
  return start > end ? `the range "${range}" ends before it starts` : undefined;
}

/** Why `schedule` is not a schedule Kubernetes accepts, or undefined when it is one. */
function cronProblem(schedule: string): string | undefined {
  const text = schedule.trim();
  if (text === '') return 'the schedule is empty';
  if (/^(CRON_)?TZ=/.test(text)) return 'a time zone prefix is refused by Kubernetes (spec.timeZone is the field for it)';
  if (text.startsWith('@')) return MACROS.includes(text) ? undefined : `unknown macro "${text}" (known: ${MACROS.join(', ')})`;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return `expected five fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
  for (const [i, part] of fields.entries()) {
    const field = FIELDS[i]!;
    for (const term of part.split(',')) {
      const problem = termProblem(term, field);
      if (problem) return `${field.name} field "${part}": ${problem}`;
    }
  }
  return undefined;
}

/** A CronJob schedule: five cron fields ("0 *\/6 * * *") or a macro such as @daily. */
export const cronSchedule = z.string().superRefine((schedule, ctx) => {
  const problem = cronProblem(schedule);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      input: schedule,
      message: `expected a cron schedule of five fields ("30 3 * * *") or a macro such as @daily, found ${JSON.stringify(schedule)}: ${problem}`,
    });
  }
});
