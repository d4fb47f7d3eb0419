/**
 * Checks the rendered alert rules with Prometheus' own promtool: `promtool check rules` on the
 * default rule file, and for every rule a `promtool test rules` unit test proving it fires above
 * its threshold once its `for` duration has passed (with the exact labels and rendered
 * annotations) and stays silent just below it. One more run proves thresholds come from values.
 *
 * Needs promtool (Debian: `apt-get install prometheus`). Skipped with a warning when it is missing
 * locally; fails when it is missing in CI (`CI=true`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alertRules, alertRulesYaml } from '../../src/components/monitoring/alert-rules.js';
import type { AlertingRule } from '../../src/components/monitoring/rule-files.js';
import { yamlFile } from '../../src/lib/config-files.js';
import { platformPlan } from '../../src/plan/index.js';
import { buildValuesSchema, profileFor, type ValuesInput } from '../../src/values/schema/index.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';
import { CPU_AT_60_PERCENT, decisions, gaveUp, NODE_ALERT, RULE_CASES, SELF_HEALING_ALERT, type ExpectedAlert, type InputSeries } from './rule-cases.js';

const promtool = onPath('promtool');
const havePromtool = toolsPresent('the promtool tests', promtool ? [] : ['promtool'], 'Debian: apt-get install prometheus');

// promtool's unit-test file format (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/).
interface PromtoolAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}
interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: PromtoolAlert[];
}
interface TestGroup {
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertRuleTest[];
}
interface RuleTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: TestGroup[];
}

const SCOPE = { namespace: 'aiops-platform', agentsNamespace: 'aiops-platform-node-agents' };
/** Before the default `for` (5m) has passed since the condition started, and well after it. */
const PENDING = '4m';
const FIRING = '15m';

const dir = mkdtempSync(join(tmpdir(), 'aiops-promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the rule file rendered from `input` into the temp dir; returns its file name and rules. */
function writeRules(name: string, input: ValuesInput = {}): { file: string; rules: AlertingRule[] } {
  const values = buildValuesSchema(profileFor(true)).parse(input);
  writeFileSync(join(dir, name), alertRulesYaml(values, SCOPE, platformPlan(values, SCOPE.namespace, SCOPE.namespace).scraped));
  return { file: name, rules: alertRules(values, SCOPE, platformPlan(values, SCOPE.namespace, SCOPE.namespace).scraped).groups.flatMap((g) => g.rules) };
}

/**
 * Renders an annotation as Prometheus will: `{{ $labels.x }}` from the alert's series labels and
 * `{{ $value | humanize… }}` as expected; any other template, or a label the alert lacks, fails.
 */
function expand(template: string, expected: ExpectedAlert): string {
  return template.replace(/\{\{ (.+?) \}\}/g, (_, inner: string) => {
    const label = /^\$labels\.(\w+)$/.exec(inner)?.[1];
    if (label !== undefined) {
      if (expected.labels[label] === undefined) throw new Error(`template "${template}" uses label ${label}, which the alert does not have`);
      return expected.labels[label];
    }
    if (/^\$value \| humanize(Duration)?$/.test(inner) && expected.value !== undefined) return expected.value;
    throw new Error(`template "${template}": unexpected {{ ${inner} }}`);
  });
}

function expectedAlert(rule: AlertingRule, expected: ExpectedAlert): PromtoolAlert {
  const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, expected)]));
  return { exp_labels: { ...expected.labels, ...rule.labels }, exp_annotations: annotations };
}

/** Writes a unit-test file and runs promtool on it; returns the run for assertions. */
async function promtoolTest(name: string, file: RuleTestFile) {
  writeFileSync(join(dir, name), yamlFile(file));
  return runProcess(promtool!, ['test', 'rules', name], { cwd: dir, timeoutMs: 10_000 });
}

// The kubelet scrape is on so that its rule is in the file (production's default; off in development).
const defaults = writeRules('rules.yml', { prometheus: { kubelet: { enabled: true } } });

it('has a promtool unit-test case for every rule', () => {
  expect(RULE_CASES.map((c) => c.alert).sort()).toEqual(defaults.rules.map((r) => r.alert).sort());
});

describe.skipIf(!havePromtool).concurrent('promtool', () => {

  it('accepts the default rule file (promtool check rules)', async () => {
    const run = await runProcess(promtool!, ['check', 'rules', defaults.file], { cwd: dir });
    expect(run.code, output(run)).toBe(0);
    expect(run.stdout).toContain(`SUCCESS: ${defaults.rules.length} rules found`);
  });

  it.each(RULE_CASES.map((c) => [c.alert, c] as const))('%s fires above its threshold after its for duration and stays silent below', async (alert, c) => {
    const rule = defaults.rules.find((r) => r.alert === alert)!;
    const run = await promtoolTest(`${alert}.test.yml`, {
      rule_files: [defaults.file],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: c.firing,
          alert_rule_test: [
            { eval_time: PENDING, alertname: alert, exp_alerts: [] },
            { eval_time: FIRING, alertname: alert, exp_alerts: c.alerts.map((a) => expectedAlert(rule, a)) },
          ],
        },
        { interval: '1m', input_series: c.silent, alert_rule_test: [{ eval_time: FIRING, alertname: alert, exp_alerts: [] }] },
      ],
    });
    expect(run.code, output(run)).toBe(0);
    expect(run.stdout).toContain('SUCCESS');
  });

  it('takes the threshold and the for duration from values', async () => {
    const custom = writeRules('rules-cpu50.yml', { alerting: { thresholds: { cpuPercent: 50 }, for: '2m' } });
    const rule = custom.rules.find((r) => r.alert === 'NodeHighCPU')!;
    const atDefaults: RuleTestFile = {
      rule_files: [defaults.file],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: CPU_AT_60_PERCENT, alert_rule_test: [{ eval_time: FIRING, alertname: 'NodeHighCPU', exp_alerts: [] }] }],
    };
    const atCustom: RuleTestFile = {
      rule_files: [custom.file],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: CPU_AT_60_PERCENT,
          // Active from 1m (the first rate): pending at 2m, firing at 5m, when the default 5m
          // `for` would still be pending and the rate window holds the whole input.
          alert_rule_test: [
            { eval_time: '2m', alertname: 'NodeHighCPU', exp_alerts: [] },
            { eval_time: '5m', alertname: 'NodeHighCPU', exp_alerts: [expectedAlert(rule, { labels: NODE_ALERT, value: '60' })] },
          ],
        },
      ],
    };
    expect(rule.annotations.description).toContain('above 50%');
    for (const [name, file] of [['cpu-default.test.yml', atDefaults], ['cpu-50.test.yml', atCustom]] as const) {
      const run = await promtoolTest(name, file);
      expect(run.code, `${name}: ${output(run)}`).toBe(0);
    }
  });

  it('counts self-healing events from a series born at 1, fires for their window only, and SelfHealingGaveUp at once', async () => {
    const rule = (alert: string) => defaults.rules.find((r) => r.alert === alert)!;
    const alerts = (alert: string, ...rules: string[]) => rules.map((r) => expectedAlert(rule(alert), { labels: SELF_HEALING_ALERT(r), value: '1' }));
    const at = (minutes: number, alert: string, ...rules: string[]): AlertRuleTest => ({ eval_time: `${minutes}m`, alertname: alert, exp_alerts: alerts(alert, ...rules) });
    const run = await promtoolTest('self-healing-windows.test.yml', {
      rule_files: [defaults.file],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // Set to 0 at start, a give-up at minute 30, another at 110.
            gaveUp('restart-abnormal-pods', '0x29 1x79 2x10'),
            // Never set before its first give-up at minute 40: born at 1.
            gaveUp('scale-out-high-load', '_x40 1x79'),
          ],
          alert_rule_test: [
            at(29, 'SelfHealingGaveUp'),
            // No `for`: firing at the first evaluation that sees the give-up.
            at(30, 'SelfHealingGaveUp', 'restart-abnormal-pods'),
            at(45, 'SelfHealingGaveUp', 'restart-abnormal-pods', 'scale-out-high-load'),
            // An hour later each clears, the series born at 1 included.
            at(95, 'SelfHealingGaveUp', 'scale-out-high-load'),
            at(105, 'SelfHealingGaveUp'),
            at(112, 'SelfHealingGaveUp', 'restart-abnormal-pods'),
          ],
        },
        {
          interval: '1m',
          input_series: [decisions('restart-abnormal-pods', 'acted', '0+1x70'), decisions('restart-abnormal-pods', 'failed', '_x40 1x30')],
          alert_rule_test: [
            // The first failure at minute 40, pending for the default 5m `for`, cleared once 15 minutes old.
            at(44, 'SelfHealingActionsFailing'),
            at(46, 'SelfHealingActionsFailing', 'restart-abnormal-pods'),
            at(54, 'SelfHealingActionsFailing', 'restart-abnormal-pods'),
            at(57, 'SelfHealingActionsFailing'),
          ],
        },
      ],
    });
    expect(run.code, output(run)).toBe(0);
  });
});
