/**
 * Preprocessing of log lines for Drain (drain.ts): variable parts (addresses, ids, numbers, times,
 * quoted strings) are replaced by a mask token `<NAME>` before the tree sees the line, as the Drain
 * paper's "preprocess by domain knowledge" step and Drain3's masking do. Masking makes lines of one
 * event equal token for token, so that a mask token counts as a similar token (`<*>` does not).
 *
 * Every default regex is bounded (fixed or capped repetitions, no nested unbounded quantifiers):
 * lines are capped at `maxLineLength` before masking, so the cost per line stays linear.
 */

/** A masking rule: every match of `pattern` becomes `<name>`. */
export interface MaskRule {
  /** Placeholder name: letters, digits and `_` (`IP` → `<IP>`). Several rules may share one. */
  readonly name: string;
  /** What to replace; a string is compiled as a regular expression. The `g` flag is added. */
  readonly pattern: RegExp | string;
}

/** A rule as stored in Drain's JSON state: the regex's source and flags. */
export interface MaskRuleJson {
  readonly name: string;
  readonly pattern: string;
  readonly flags: string;
}

/** Not preceded by a letter or digit, nor by `x.` (a dotted version or identifier like `v1.2`). */
const START = String.raw`(?<![A-Za-z0-9]|[A-Za-z0-9]\.)`;
/** Not followed by a letter or digit, nor by `.5` (more of a dotted number). */
const END = String.raw`(?![A-Za-z0-9]|\.\d)`;
const bounded = (core: string) => `${START}(?:${core})${END}`;

const H = '[0-9a-fA-F]';
const HEXSEQ = `${H}{1,4}(?::${H}{1,4}){0,6}`;
const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const MONTH = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const TIME = String.raw`\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?`;
const ZONE = String.raw`(?:Z|[+-]\d{2}:?\d{2}|\s[+-]\d{4})?`;
const UNIT = 'ns|us|µs|ms|s|m|h|d|sec|secs|min|mins';

/** Double- or single-quoted text (up to 512 characters) that starts after a space, `=`, `(`, `[` or `,`, or at the line's start. */
export const QUOTED_MASK: MaskRule = {
  name: 'STR',
  pattern: String.raw`(?<=^|[\s=(\[,])(?:"(?:[^"\\\n]|\\.){0,512}"|'[^'\n]{0,512}')(?![A-Za-z0-9])`,
};

/** Absolute file paths (`/var/lib/data/base/16384`), after a space, `=`, `:`, a quote or a bracket. Off by default: URL paths in access logs are often the event. */
export const PATH_MASK: MaskRule = {
  name: 'PATH',
  pattern: String.raw`(?<=^|[\s=:("'\[])(?:/[A-Za-z0-9._~%+@-]{1,255}){1,64}/?(?![A-Za-z0-9/])`,
};

/** Dates and times: ISO 8601 / RFC 3339, `2024/01/31 10:00:00` (nginx), `31/Jan/2024:10:00:00 +0000` (access logs), `Jan 31 10:00:00` (syslog), `31 Jan 2024 10:00:00.123` (Redis), bare times. */
export const TIMESTAMP_MASK: MaskRule = {
  name: 'TS',
  pattern: bounded(
    [
      String.raw`\d{4}[-/]\d{2}[-/]\d{2}(?:[T\s]${TIME}${ZONE})?`,
      String.raw`\d{2}/(?:${MONTH})/\d{4}:${TIME}${ZONE}`,
      String.raw`(?:${MONTH})\s{1,2}\d{1,2}\s${TIME}`,
      String.raw`\d{1,2}\s(?:${MONTH})\s\d{4}\s${TIME}${ZONE}`,
      TIME + ZONE,
    ].join('|'),
  ),
};

/** UUIDs (`123e4567-e89b-12d3-a456-426614174000`). */
export const UUID_MASK: MaskRule = { name: 'UUID', pattern: bounded(`${H}{8}-${H}{4}-${H}{4}-${H}{4}-${H}{12}`) };

/** IPv6 addresses: eight groups, or compressed with `::` (also with an IPv4 tail, `::ffff:10.0.0.1`). */
export const IPV6_MASK: MaskRule = {
  name: 'IP',
  pattern: String.raw`(?<![A-Za-z0-9:])(?:(?:${H}{1,4}:){7}${H}{1,4}|(?:${HEXSEQ})?::(?:(?:${H}{1,4}:){0,5}${IPV4}|${HEXSEQ})?)(?![A-Za-z0-9:]|\.\d)`,
};

/** IPv4 addresses (`10.0.0.1`; `10.0.0.1:5432` keeps its port for the number mask). */
export const IPV4_MASK: MaskRule = { name: 'IP', pattern: bounded(IPV4) };

/** `0x`-prefixed hex, and hex ids of 8 to 128 digits that mix digits and letters (`7d9f8b6c5`, trace ids, commit hashes). */
export const HEX_MASK: MaskRule = {
  name: 'HEX',
  pattern: bounded(`0[xX]${H}{1,64}|(?=[0-9]{0,127}[a-fA-F])(?=[a-fA-F]{0,127}[0-9])${H}{8,128}`),
};

/** Durations with a unit (`15ms`, `2.5s`, `1h30m`, `3min`). */
export const DURATION_MASK: MaskRule = {
  name: 'DURATION',
  pattern: bounded(String.raw`(?:\d{1,12}(?:\.\d{1,9})?(?:${UNIT})){1,4}`),
};

/** Integers and decimals, signed, with an exponent (`42`, `-1608999687919862906`, `3.5e-3`); not inside words (`sda1`, `ext4`). */
export const NUMBER_MASK: MaskRule = {
  name: 'NUM',
  pattern: bounded(String.raw`[-+]?\d{1,64}(?:\.\d{1,64})?(?:[eE][-+]?\d{1,4})?`),
};

/**
 * The default masks, in the order they apply: quoted strings, (paths,) timestamps, UUIDs, IPv6,
 * IPv4, hex ids, durations, numbers. Order matters: a longer shape is masked before the numbers in it.
 * `paths` (default false) adds {@link PATH_MASK} after the quoted strings.
 */
export function defaultMasks(opts: { paths?: boolean } = {}): readonly MaskRule[] {
  return [
    QUOTED_MASK,
    ...(opts.paths ? [PATH_MASK] : []),
    TIMESTAMP_MASK,
    UUID_MASK,
    IPV6_MASK,
    IPV4_MASK,
    HEX_MASK,
    DURATION_MASK,
    NUMBER_MASK,
  ];
}

/** {@link defaultMasks} without paths. */
export const DEFAULT_MASKS: readonly MaskRule[] = defaultMasks();

const MASK_NAME = /^[A-Za-z0-9_]{1,32}$/;

/** A rule compiled for use: its global regex and mask token. */
export interface CompiledMask {
  readonly name: string;
  readonly regex: RegExp;
  readonly token: string;
}

/** Compiles rules (throws on a bad name or regex, naming the rule). */
export function compileMasks(rules: readonly (MaskRule | MaskRuleJson)[]): CompiledMask[] {
  return rules.map((rule, i) => {
    if (!MASK_NAME.test(rule.name)) {
      throw new Error(`mask ${i}: name must be 1-32 letters, digits or _, found ${JSON.stringify(rule.name)}`);
    }
    const source = typeof rule.pattern === 'string' ? rule.pattern : rule.pattern.source;
    const given = 'flags' in rule ? rule.flags : typeof rule.pattern === 'string' ? '' : rule.pattern.flags;
    const flags = given.includes('g') ? given : `${given}g`;
    let regex: RegExp;
    try {
      regex = new RegExp(source, flags);
    } catch (e) {
      throw new Error(`mask ${i} (${rule.name}): ${(e as Error).message}`);
    }
    if (regex.test('')) throw new Error(`mask ${i} (${rule.name}): the pattern matches the empty string`);
    return { name: rule.name, regex, token: `<${rule.name}>` };
  });
}

/** The JSON form of compiled rules. */
export function masksToJson(masks: readonly CompiledMask[]): MaskRuleJson[] {
  return masks.map((m) => ({ name: m.name, pattern: m.regex.source, flags: m.regex.flags }));
}

/** ANSI escape sequences (colours, cursor moves) as terminals and many container logs write them. */
const ANSI = /\x1b\[[0-?]{0,32}[ -/]{0,8}[@-~]/g;
/** C0 and C1 control characters and DEL: treated as spaces. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const SPACES = /\s+/;

/** Limits of {@link tokenize}. */
export interface TokenizeLimits {
  /** Characters kept of a line (UTF-16 units, a surrogate pair is never split). */
  readonly maxLineLength: number;
  /** Tokens kept of a line; the rest is dropped. */
  readonly maxTokens: number;
}

/** The first `max` UTF-16 units of `line`, one fewer when the cut would split a surrogate pair. */
export function truncate(line: string, max: number): string {
  if (line.length <= max) return line;
  const code = line.charCodeAt(max - 1);
  return line.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * A line as Drain's tokens: truncated, ANSI sequences removed, control characters made spaces,
 * masked, split on whitespace, capped at `maxTokens`. An empty or blank line has no tokens.
 */
export function tokenize(line: string, masks: readonly CompiledMask[], limits: TokenizeLimits): string[] {
  let text = truncate(String(line), limits.maxLineLength).replace(ANSI, '').replace(CONTROL, ' ');
  for (const mask of masks) {
    mask.regex.lastIndex = 0;
    text = text.replace(mask.regex, mask.token);
  }
  text = text.trim();
  if (text === '') return [];
  const tokens = text.split(SPACES);
  return tokens.length > limits.maxTokens ? tokens.slice(0, limits.maxTokens) : tokens;
}
