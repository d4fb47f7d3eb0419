import { describe, expect, it } from 'vitest';
import { parseQuantity, suggestQuantity, toMebibytes } from '../../src/core/quantity.js';

describe('Kubernetes quantities', () => {
  it.each([
    ['50Gi', 50 * 2 ** 30],
    ['500m', 0.5],
    ['1000m', 1],
    ['2', 2],
    ['1.5G', 1.5e9],
    ['128Mi', 128 * 2 ** 20],
    ['1e3', 1000],
    ['1Ti', 2 ** 40],
  ])('parses %s', (text, value) => expect(parseQuantity(text)).toBeCloseTo(value));

  it.each(['50GB', '2g', '1 Gi', 'Gi', '', '1.2.3', 'ten', '5Mb'])('rejects %j', (text) => expect(parseQuantity(text)).toBeUndefined());

  it.each([
    ['50GB', '50Gi'],
    ['2g', '2Gi'],
    ['512 MiB', '512Mi'],
    ['1kb', '1Ki'],
    ['100gi', '100Gi'],
  ])('suggests %s → %s', (wrong, right) => expect(suggestQuantity(wrong)).toBe(right));

  it('has no suggestion for text that is not a size', () => expect(suggestQuantity('lots')).toBeUndefined());

  it('converts memory to whole mebibytes', () => {
    expect(toMebibytes('4Gi')).toBe(4096);
    expect(toMebibytes('1G')).toBe(953);
    expect(() => toMebibytes('4GB')).toThrow('"4GB" is not a Kubernetes quantity');
  });
});
