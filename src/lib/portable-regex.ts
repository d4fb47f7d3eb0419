/**
 * Regular expressions that mean the same in Ruby's engine (Oniguruma/Onigmo, Joni in Logstash's
 * JRuby) and in JavaScript (no flags), so that a pattern rendered into a Logstash conditional can be
 * run by the tests in JavaScript with the same outcome.
 *
 * The subset, on subjects without a line feed (a log event of the platform is one line: Filebeat's
 * container parser splits on line feeds), is:
 * - literals: printable ASCII other than `\ ^ $ . | ? * + ( ) [ ] { }`;
 * - escapes: `\t \r \n`, and a backslash before one of `\ ^ $ . | ? * + ( ) [ ] { } /`;
 * - classes `[…]` and `[^…]` of such literals, ranges `a-z` (write digits `[0-9]`), `\t \r \n` and the escapes
 *   `\\ \] \[ \^ \-`; `-` only first or last, no unescaped `[` (a nested class in Ruby), no `&&`
 *   (an intersection in Ruby), never empty; a negated class only repeated by `*` or `+` (it matches
 *   one UTF-16 unit in JavaScript, one character in Ruby: a character beyond U+FFFF is two units, so
 *   `a[^x]b` would match `a💥b` in Ruby only, while `a[^x]*b` matches it in both);
 * - groups `(…)`, `(?:…)`, lookaheads `(?=…)` and `(?!…)`; alternation `|`;
 * - quantifiers `* + ? {n} {n,} {n,m}`, each optionally lazy (`?`), on a literal, class or group;
 * - anchors `^` and `$` (in Ruby they also match around a line feed, which the subjects never hold).
 *
 * Left out because the engines differ: `.` (Ruby stops at `\n` only, JavaScript also at `\r`,
 * U+2028, U+2029), `\d` `\s` `\w` `\b` (ASCII in JavaScript; Unicode in Oniguruma's Ruby syntax
 * unless ASCII-range is on, as it is in Ruby itself; JavaScript's `\s` also takes U+FEFF), `\h` (a
 * hex digit in Ruby, the letter h in JavaScript), inline options `(?i)`, lookbehind, named groups
 * and back-references, possessive quantifiers, `{,n}`, non-ASCII characters.
 */

const SPECIAL = '\\^$.|?*+()[]{}';
const ESCAPABLE = new Set([...SPECIAL, '/']);
const CLASS_ESCAPABLE = new Set(['\\', ']', '[', '^', '-']);
const CONTROL_ESCAPES = new Set(['t', 'r', 'n']);
const printable = (c: string | undefined): c is string => c !== undefined && c >= ' ' && c <= '~';

class Reader {
  at = 0;
  constructor(readonly text: string) {}
  peek(offset = 0): string | undefined {
    return this.text[this.at + offset];
  }
  fail(reason: string): never {
    throw new Error(`regular expression ${JSON.stringify(this.text)} is outside the portable subset at ${this.at}: ${reason}`);
  }
}

function escape(r: Reader, inClass: boolean): void {
  const c = r.peek(1);
  if (c !== undefined && CONTROL_ESCAPES.has(c)) {
    r.at += 2;
    return;
  }
  if (c !== undefined && (inClass ? CLASS_ESCAPABLE : ESCAPABLE).has(c)) {
    r.at += 2;
    return;
  }
  r.fail(`the escape \\${c ?? ''} is not allowed`);
}

/** One member of a class: a literal or escape; returns the character it stands for. */
function classMember(r: Reader): string {
  const c = r.peek();
  if (c === '\\') {
    const next = r.peek(1)!;
    escape(r, true);
    return ({ t: '\t', r: '\r', n: '\n' } as Record<string, string>)[next] ?? next;
  }
  if (c === '[') r.fail('an unescaped [ inside a class (a nested class in Ruby)');
  if (c === '&' && r.peek(1) === '&') r.fail('&& inside a class (an intersection in Ruby)');
  if (!printable(c)) r.fail('a character that is not printable ASCII');
  r.at += 1;
  return c;
}

/** Reads a class; returns whether it is negated. */
function characterClass(r: Reader): boolean {
  r.at += 1;
  const negated = r.peek() === '^';
  if (negated) r.at += 1;
  if (r.peek() === ']') r.fail('an empty class or a leading ] (write \\])');
  let first = true;
  while (r.peek() !== ']') {
    if (r.peek() === undefined) r.fail('an unterminated class');
    if (r.peek() === '-' && !first && r.peek(1) !== ']') r.fail('a - that is neither first, last nor a range');
    const low = classMember(r);
    if (r.peek() === '-' && r.peek(1) !== ']' && r.peek(1) !== undefined) {
      r.at += 1;
      const high = classMember(r);
      if (low > high) r.fail('a range between characters in order is needed');
    }
    first = false;
  }
  r.at += 1;
  return negated;
}

function quantifier(r: Reader): boolean {
  const c = r.peek();
  if (c === '*' || c === '+' || c === '?') {
    r.at += 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d+)?)?\}/.exec(r.text.slice(r.at));
    if (!m) r.fail('a { that is not a quantifier {n}, {n,} or {n,m} (write \\{)');
    if (m[3] !== undefined && Number(m[3]) < Number(m[1])) r.fail('a quantifier {n,m} with m < n');
    r.at += m[0].length;
  } else {
    return false;
  }
  if (r.peek() === '?') r.at += 1;
  if (r.peek() === '+') r.fail('a possessive quantifier');
  if (['*', '+', '?', '{'].includes(r.peek() ?? '')) r.fail('a quantifier after a quantifier');
  return true;
}

function alternation(r: Reader, depth: number): void {
  for (;;) {
    sequence(r, depth);
    if (r.peek() !== '|') return;
    r.at += 1;
  }
}

function sequence(r: Reader, depth: number): void {
  for (;;) {
    const c = r.peek();
    if (c === undefined || c === '|' || c === ')') {
      if (c === ')' && depth === 0) r.fail('an unmatched )');
      return;
    }
    let quantifiable = true;
    if (c === '^' || c === '$') {
      r.at += 1;
      quantifiable = false;
    } else if (c === '\\') {
      escape(r, false);
    } else if (c === '[') {
      if (characterClass(r) && !['*', '+'].includes(r.peek() ?? '')) r.fail('a negated class not repeated by * or + (one UTF-16 unit in JavaScript, one character in Ruby)');
    } else if (c === '(') {
      r.at += 1;
      if (r.peek() === '?') {
        const kind = r.peek(1);
        if (kind !== ':' && kind !== '=' && kind !== '!') r.fail(`the group (?${kind ?? ''} is not allowed (only (?: (?= (?!)`);
        quantifiable = kind === ':';
        r.at += 2;
      }
      alternation(r, depth + 1);
      if (r.peek() !== ')') r.fail('an unterminated group');
      r.at += 1;
    } else if (c === '.') {
      r.fail('. (write a class such as [^"])');
    } else if (SPECIAL.includes(c)) {
      r.fail(`an unescaped ${c}`);
    } else if (printable(c)) {
      r.at += 1;
    } else {
      r.fail('a character that is not printable ASCII');
    }
    if (!quantifiable && ['*', '+', '?', '{'].includes(r.peek() ?? '')) r.fail('a quantifier on an anchor or lookahead');
    if (quantifiable) quantifier(r);
  }
}

/**
 * Checks that `pattern` is in the portable subset (see the file comment) and compiles in
 * JavaScript; returns it unchanged, or throws saying where and why it is not.
 */
export function portableRegex(pattern: string): string {
  if (PORTABLE.has(pattern)) return pattern;
  if (pattern === '') throw new Error('regular expression is empty');
  const r = new Reader(pattern);
  alternation(r, 0);
  if (r.at !== pattern.length) r.fail('an unmatched )');
  new RegExp(pattern);
  PORTABLE.add(pattern);
  return pattern;
}

/** Patterns already found portable: the log-level table's are checked on every render otherwise. */
const PORTABLE = new Set<string>();
