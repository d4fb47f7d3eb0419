/**
 * The schema's limits agree with the real tools on the boundary cases: Prometheus' duration
 * parser (promtool check config, scrape_interval) and Alertmanager's route checks (amtool
 * check-config: group_by names, duplicates, `...`, zero intervals). Each candidate is given to
 * both; the schema must accept exactly what the tool accepts (the schema's positivity rule on
 * top is checked separately). Debian ships promtool 2.42 and amtool 0.25; the chart pins
 * Prometheus v3.5 and Alertmanager v0.28, whose duration parser and route checks are the same.
 *
 * Needs promtool and amtool (Debian: prometheus, prometheus-alertmanager); skipped with a warning
 * when missing locally, failing in CI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { durationMs, promDuration } from '../../src/values/schema/primitives.js';
import { ValuesError } from '../../src/values/issues.js';
import { loadValues } from '../../src/values/load.js';
import { onPath, runProcess, toolsPresent } from '../support/process.js';

const PROMTOOL = onPath('promtool');
const AMTOOL = onPath('amtool');
const haveTools = toolsPresent(
  'the schema/upstream agreement tests',
  [PROMTOOL ? [] : ['promtool'], AMTOOL ? [] : ['amtool']].flat(),
  'Debian: apt-get install prometheus prometheus-alertmanager',
);

const dir = mkdtempSync(join(tmpdir(), 'aiops-agreement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether the tool accepts `config` written to a file (exit 0 of `tool <args> file`). */
async function toolAccepts(tool: string, args: readonly string[], name: string, config: unknown): Promise<boolean> {
  const file = join(dir, name);
  writeFileSync(file, stringify(config));
  const result = await runProcess(tool, [...args, file], { timeoutMs: 20_000 });
  return result.code === 0;
}

/** Whether the values are valid; the issues at `path` otherwise. */
function schemaAccepts(text: string, path: string): boolean {
  try {
    loadValues({ files: [{ name: 'values.yaml', text }], sets: [] });
    return true;
  } catch (error) {
    if (!(error instanceof ValuesError)) throw error;
    const others = error.issues.filter((i) => !i.path.startsWith(path));
    if (others.length > 0) throw new Error(`unexpected issues: ${JSON.stringify(others)}`);
    return false;
  }
}

describe.skipIf(!haveTools)('schema and upstream tools agree', () => {
  it.each(['1s', '30s', '1w2d', '292y', '293y', '106751d', '106752d', '15250w', '15251w', '9223372036s', '9223372037s', '99999999999y', '1.5h', '5 m', '1h30', ''])(
    'on the Prometheus duration %j',
    async (duration) => {
      const tool = await toolAccepts(PROMTOOL!, ['check', 'config'], 'prometheus.yml', { global: { scrape_interval: duration, scrape_timeout: '1s' } });
      const schema = promDuration.safeParse(duration).success;
      expect({ duration, schema }).toEqual({ duration, schema: tool });
    },
  );

  it('counts durations as Prometheus does (292y = 292 × 365 days)', () => {
    expect(durationMs('292y')).toBe(292n * 365n * 86_400_000n);
    expect(durationMs('1w2d3h4m5s6ms')).toBe(((((9n * 24n + 3n) * 60n + 4n) * 60n + 5n) * 1000n) + 6n);
  });

  /** A minimal alertmanager.yml with the root route's settings `route`. */
  const amConfig = (route: Record<string, unknown>) => ({ route: { receiver: 'null', ...route }, receivers: [{ name: 'null' }] });

  it.each([
    [['alertname', 'namespace']],
    [['_private', 'job_name2']],
    [['...']],
    [['alertname', 'alertname']],
    [['alertname', '...']],
    [['k8s-app']],
    [['1st']],
    [['a.b']],
    [['']],
  ])('on group_by %j', async (groupBy) => {
    const tool = await toolAccepts(AMTOOL!, ['check-config'], 'alertmanager.yml', amConfig({ group_by: groupBy }));
    const schema = schemaAccepts(`alertmanager: {route: {groupBy: ${JSON.stringify(groupBy)}}}`, 'alertmanager.route.groupBy');
    expect({ groupBy, schema }).toEqual({ groupBy, schema: tool });
  });

  it.each([
    ['group_interval', 'groupInterval', '0s'],
    ['group_interval', 'groupInterval', '1s'],
    ['repeat_interval', 'repeatInterval', '0m'],
    ['repeat_interval', 'repeatInterval', '4h'],
    ['group_wait', 'groupWait', '0s'],
    ['group_wait', 'groupWait', '30s'],
  ])('on %s %s', async (field, key, value) => {
    const tool = await toolAccepts(AMTOOL!, ['check-config'], 'alertmanager.yml', amConfig({ group_by: ['alertname'], [field]: value }));
    const schema = schemaAccepts(`alertmanager: {route: {${key}: ${value}}}`, `alertmanager.route.${key}`);
    expect({ value, schema }).toEqual({ value, schema: tool });
  });
});
