/**
 * The portable subset of regular expressions (src/lib/portable-regex.ts): what it refuses and
 * accepts, and, where Oniguruma is on the machine (python3 and libonig, see
 * test/support/oniguruma.ts), that Oniguruma with Ruby syntax (the engine family of Logstash's
 * conditionals) and JavaScript agree on its constructs and disagree on what it leaves out.
 */
import { describe, expect, it } from 'vitest';
import { portableRegex } from '../../src/lib/portable-regex.js';
import { onigurumaPresent, onigurumaSearch } from '../support/oniguruma.js';

describe('portable regular expressions', () => {
  it.each([
    ['.', /\. \(write a class/],
    [String.raw`\s+`, /escape \\s/],
    [String.raw`\d`, /escape \\d/],
    [String.raw`\w`, /escape \\w/],
    [String.raw`\bERROR\b`, /escape \\b/],
    [String.raw`\h`, /escape \\h/],
    ['(?i)error', /group \(\?i/],
    ['(?<=a)b', /group \(\?</],
    ['(?<level>x)', /group \(\?</],
    [String.raw`(a)\1`, /escape \\1/],
    ['a*+', /possessive/],
    ['a{,3}', /not a quantifier/],
    ['a{3,1}', /m < n/],
    ['a}', /unescaped \}/],
    ['[a[b]]', /nested class/],
    ['[a&&b]', /intersection/],
    ['[]a]', /leading \]/],
    ['[a-]x-[', /unterminated class/],
    ['[z-a]', /range/],
    ['a[^x]b', /negated class not repeated/],
    ['[^x]{2}', /negated class not repeated/],
    ['[a-c-e]', /neither first, last nor a range/],
    ['(?=a)*', /quantifier on an anchor or lookahead/],
    ['^*', /quantifier on an anchor/],
    ['a**', /quantifier after a quantifier/],
    ['(a', /unterminated group/],
    ['a)', /unmatched \)/],
    ['é', /not printable ASCII/],
    ['a\nb', /not printable ASCII/],
    ['', /empty/],
  ])('refuses %j', (pattern, reason) => {
    expect(() => portableRegex(pattern)).toThrow(reason);
  });

  it('accepts the constructs of the subset as they are', () => {
    for (const pattern of [
      String.raw`^[0-9]{4}-[0-9]{2}(?:[.,][0-9]{1,9})?Z?`,
      String.raw`^(?:"[^"\\]*(?:\\[ -~][^"\\]*)*"|[^ \t"]*)[ \t]+?$`,
      String.raw`\[ *(?:ERROR|WARN) *\](?![A-Za-z])(?=[ \t:]|$)`,
      String.raw`[-a-z\]\\0-9\t]+[x-]`,
      String.raw`a/b\/c\{2\}\.\*\+\?\|\(\)\^\$`,
      '(a|b|)c{2,}',
    ]) {
      expect(portableRegex(pattern)).toBe(pattern);
    }
  });
});

describe.runIf(onigurumaPresent('the Oniguruma agreement tests'))('Oniguruma (Ruby syntax) and JavaScript', () => {
  const disagreements = (patterns: readonly string[], subjects: readonly string[], matches: boolean[][]) =>
    patterns.flatMap((p, i) => subjects.flatMap((s, j) => (new RegExp(p).test(s) === matches[i]![j] ? [] : [{ pattern: p, subject: s, oniguruma: matches[i]![j] }])));

  it('agree on the constructs of the subset over subjects made to tell engines apart', async () => {
    const patterns = ['^a[^"]*$', String.raw`^[^x]*[0-9]$`, '^a[^x]*b$', String.raw`(?:a|ab)(?=c)`, String.raw`^\[ *(?:E) *\]`, 'b$', '^ab*?c', String.raw`[\]\\-]`, String.raw`[^\n]+`, '(?!a)[a-c]{2}'];
    for (const pattern of patterns) expect(portableRegex(pattern)).toBe(pattern);
    const subjects = ['a"é', 'aéé', 'aé\u2028', 'ab\r', 'abc', 'x1', '١', 'ab\u00a0c', '[ E ]', 'a\\', 'b\r', '💥é', 'a💥b', '-', 'abbbc', 'a\u2028b'];
    const { matches } = await onigurumaSearch(patterns, subjects);
    expect(disagreements(patterns, subjects, matches)).toEqual([]);
  });

  it('disagree on what the subset leaves out (so leaving it out matters)', async () => {
    const cases: [string, string][] = [
      ['a.b', 'a\rb'], // . stops at \r in JavaScript only
      [String.raw`^a\sb$`, 'a\ufeffb'], // JavaScript's \s takes U+FEFF
      [String.raw`\d`, '١'], // Unicode digits in Oniguruma's Ruby syntax
      [String.raw`\h`, 'a'], // hex digit in Ruby, the letter h in JavaScript
      ['^b', 'a\nb'], // ^ is a line anchor in Ruby
      ['[a[b]]', 'b'], // a nested class in Ruby
      ['^a[^x]b$', 'a💥b'], // a negated class takes one UTF-16 unit in JavaScript, one character in Ruby
    ];
    const { matches } = await onigurumaSearch(cases.map(([p]) => p), cases.map(([, s]) => s));
    for (const [i, [pattern, subject]] of cases.entries()) expect(matches[i]![i], pattern).not.toBe(new RegExp(pattern).test(subject));
    // `^` is in the subset: the subset holds on subjects without a line feed, which log events are.
    for (const [pattern] of cases.filter(([p]) => p !== '^b')) expect(() => portableRegex(pattern)).toThrow(/portable subset/);
  });
});
