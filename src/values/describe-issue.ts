import type * as z from 'zod';
import { formatPath, involvedPaths, type ValuesIssue } from './issues.js';
import type { Locate } from './locate.js';
import { didYouMean, keysAt } from './suggest.js';
import { describe } from './yaml-source.js';

type ZodIssue = z.core.$ZodIssue;

/** One zod issue as one or more located values issues with "expected …, found …" messages. */
export function describeIssue(
  issue: ZodIssue,
  jsonSchema: unknown,
  locate: Locate,
): ValuesIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(jsonSchema, issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const suggestion = didYouMean(key, allowed);
      const hint = suggestion ? `; did you mean "${suggestion}"?` : allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
      return { location: locate(path, { atKey: true }).location, path: formatPath(path), message: `unknown key "${key}"${hint}` };
    });
  }
  if (issue.code === 'invalid_key') {
    // A map key that its schema refuses (a label key…): located at the key, with the key schema's messages.
    const message = issue.issues.map((i) => (i.code === 'custom' ? i.message : messageOf(i as ZodIssue))).join('; ');
    return [{ location: locate(issue.path, { atKey: true }).location, path: formatPath(issue.path), message }];
  }
  // A cross-field problem is located at the value the user set: its own, or an involved one.
  const { location } = locate(issue.path, { involves: involvedPaths(issue) });
  return [{ location, path: formatPath(issue.path), message: messageOf(issue) }];
}

function messageOf(issue: ZodIssue): string {
  const found = describe(issue.input);
  switch (issue.code) {
    case 'invalid_type': {
      const yaml11 = issue.expected === 'boolean' && /^(yes|no|on|off|y|n)$/i.test(String(issue.input));
      return `expected ${issue.expected}, found ${found}${yaml11 ? ' (YAML 1.2 booleans are true and false)' : ''}`;
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v)).join(' | ');
      const suggestion =
        typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
      return `expected one of ${options}, found ${found}${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
    }
    case 'too_small':
      return `expected ${boundText(issue.origin, issue.inclusive ? 'at least' : 'more than', issue.minimum)}, found ${found}`;
    case 'too_big':
      return `expected ${boundText(issue.origin, issue.inclusive ? 'at most' : 'less than', issue.maximum)}, found ${found}`;
    case 'invalid_union': {
      const expected = [...new Set(issue.errors.flat().flatMap((e) => (e.code === 'invalid_type' ? [e.expected] : [])))];
      if (expected.length > 0) return `expected ${expected.join(' or ')}, found ${found}`;
      return issue.message;
    }
    case 'invalid_format':
      return issue.message.includes('found') ? issue.message : `${issue.message}, found ${found}`;
    default:
      return issue.message;
  }
}

function boundText(origin: string, relation: string, bound: number | bigint): string {
  if (origin === 'array') return `${relation} ${bound} entries`;
  if (origin === 'string') return `${relation} ${bound} characters`;
  return `a number ${relation} ${bound}`;
}
