import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures, SEED_DIR } from '../support/fixtures.js';

const SEED = join(import.meta.dirname, '..', '..', '..', 'shared', 'seed', 'aiops-platform-helm-README.zh.md');

describe.runIf(existsSync(SEED))('seed fixtures', () => {
  it('are the values blocks of the seed README, verbatim and complete', () => {
    const blocks = [...readFileSync(SEED, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const valuesBlocks = blocks.filter((b) => !/^apiVersion:/m.test(b));
    expect(fixtures(SEED_DIR).map((f) => f.text).sort()).toEqual(valuesBlocks.sort());
  });
});
