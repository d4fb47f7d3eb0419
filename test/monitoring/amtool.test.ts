/**
 * Runs Debian's amtool on the rendered alertmanager.yml: `check-config` for the default values,
 * with the self-healing webhook, and with email, Slack and webhook receivers; `config routes test`
 * proves where alerts go; `template render` executes the Slack title and text templates.
 *
 * Debian ships amtool 0.25, the chart pins Alertmanager v0.28.1. Of the `*_file` credential fields
 * the chart writes, 0.25 already knows `smtp_auth_password_file` and `api_url_file`, but not the
 * webhook's `url_file` (added after 0.25; config/notifiers.go of v0.28 has it, with the check that
 * exactly one of url and url_file is set). So each config is checked as rendered, where an unknown
 * `url_file` must be 0.25's only objection, and then as a copy with `url_file` replaced by an inline
 * dummy `url`, which 0.25 must accept in full. That the `*_file` fields point at the mounted Secret
 * is asserted in test/components/alertmanager.test.ts. The executor's bearer token
 * (`http_config.authorization.credentials_file`) is known to 0.25 and checked as rendered.
 *
 * Needs amtool (Debian: `apt-get install prometheus-alertmanager`). Skipped with a warning when it
 * is missing locally; fails when it is missing in CI (`CI=true`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Alertmanager } from '../../src/components/monitoring/alertmanager.js';
import type { AlertmanagerConfig } from '../../src/components/monitoring/alertmanager-config.js';
import { SELF_HEALING_ACTIONS } from '../../src/core/self-healing-actions.js';
import { renderConstruct } from '../support/construct.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';
import { find } from '../support/render.js';

const AMTOOL = onPath('amtool');
const haveAmtool = toolsPresent('the amtool tests', AMTOOL ? [] : ['amtool'], 'Debian: apt-get install prometheus-alertmanager');

const SELF_HEALING_URL = 'http://aiops-platform-self-healing.aiops-platform.svc.cluster.local:8080/api/v1/alerts';
const SELF_HEALING_TOKEN = { secretName: 'aiops-platform-self-healing', key: 'webhook-token' };
const RECEIVERS = `alertmanager:
  receivers:
    email: {enabled: true, to: ops@example.com, from: alertmanager@example.com, smarthost: "smtp.example.com:587", username: alertmanager, password: smtp-password}
    slack: {enabled: true, apiUrl: "https://hooks.slack.com/services/T000/B000/XXXX"}
    webhook: {enabled: true, url: "https://hooks.example.com/alerts"}
`;

/** The rendered alertmanager.yml text. */
function renderedConfig(valuesYaml: string, selfHealing: boolean): string {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    new Alertmanager(chart, 'alertmanager', { ctx, values: values.alertmanager, selfHealing: selfHealing ? { url: SELF_HEALING_URL, token: SELF_HEALING_TOKEN } : undefined });
  });
  return find(r.objects, 'ConfigMap', 'aiops-platform-alertmanager').data['alertmanager.yml'];
}

/** The config with each webhook `url_file` replaced by an inline dummy `url`, for amtool 0.25. */
function forAmtool025(text: string): string {
  const config = parse(text) as AlertmanagerConfig;
  for (const receiver of config.receivers) {
    receiver.webhook_configs = receiver.webhook_configs?.map(({ url_file, ...rest }) => (url_file ? { url: 'https://webhook.invalid/', ...rest } : rest));
  }
  return stringify(config);
}

const dir = mkdtempSync(join(tmpdir(), 'amtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** amtool with a clean environment (HOME in the temp dir, so no user amtool config applies). */
const amtool = (args: readonly string[]) => runProcess(AMTOOL!, args, { env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' } });

function writeTemp(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const CASES = [
  { name: 'defaults', values: '', selfHealing: false },
  { name: 'self-healing', values: '', selfHealing: true },
  { name: 'receivers', values: RECEIVERS, selfHealing: true },
];

describe.skipIf(!haveAmtool)('amtool on the rendered alertmanager.yml', () => {
  const rendered = new Map<string, string>();
  const files = new Map<string, string>();
  for (const c of CASES) {
    const text = renderedConfig(c.values, c.selfHealing);
    rendered.set(c.name, text);
    writeTemp(`${c.name}.yml`, text);
    files.set(c.name, writeTemp(`${c.name}-amtool025.yml`, forAmtool025(text)));
  }

  for (const c of CASES) {
    it(`check-config accepts the ${c.name} config`, async () => {
      const rendered = await amtool(['check-config', join(dir, `${c.name}.yml`)]);
      if (rendered.code !== 0) {
        const unknown = [...`${rendered.stdout}${rendered.stderr}`.matchAll(/field (\w+) not found/g)].map((m) => m[1]);
        expect(unknown.length, output(rendered)).toBeGreaterThan(0);
        expect(new Set(unknown), output(rendered)).toEqual(new Set(['url_file']));
      }
      const compatible = await amtool(['check-config', files.get(c.name)!]);
      expect(compatible.code, output(compatible)).toBe(0);
      expect(compatible.stdout).toContain('SUCCESS');
    });
  }

  it('check-config accepts the executor webhook with its bearer token file (http_config.authorization.credentials_file) as rendered', async () => {
    const config = parse(rendered.get('self-healing')!) as AlertmanagerConfig;
    expect(config.receivers.find((r) => r.name === 'self-healing')!.webhook_configs![0]!.http_config).toEqual({
      authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/self-healing/webhook-token' },
    });
    const r = await amtool(['check-config', join(dir, 'self-healing.yml')]);
    expect(r.code, output(r)).toBe(0);
  });

  it('check-config sees the rendered defaults as they are (no url_file to adapt) and counts the inhibition rule', async () => {
    const r = await amtool(['check-config', join(dir, 'defaults.yml')]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain('1 inhibit rules');
  });

  /** The receivers an alert with these labels reaches, as amtool lists them. */
  async function receiversOf(caseName: string, labels: readonly string[]): Promise<string> {
    const r = await amtool(['config', 'routes', 'test', `--config.file=${files.get(caseName)!}`, ...labels]);
    expect(r.code, output(r)).toBe(0);
    return r.stdout.trim();
  }

  it('routes a crash-looping pod alert to the self-healing executor and to people', async () => {
    for (const name of ['self-healing', 'receivers']) {
      expect(await receiversOf(name, ['severity=warning', 'action=restart-pod', 'alertname=PodCrashLooping'])).toBe('self-healing,default');
    }
  });

  it('routes every self-healing action to the executor, and nothing else', async () => {
    for (const action of SELF_HEALING_ACTIONS) {
      expect(await receiversOf('receivers', ['severity=warning', `action=${action}`, 'alertname=Test'])).toBe('self-healing,default');
    }
    for (const action of ['none', 'restart-pods', 'restart', '']) {
      expect(await receiversOf('receivers', ['severity=warning', `action=${action}`, 'alertname=Test'])).toBe('default');
    }
    expect(await receiversOf('receivers', ['severity=critical', 'alertname=NodeDiskFull'])).toBe('default');
  });

  it('routes everything to people alone without the self-healing executor', async () => {
    expect(await receiversOf('defaults', ['severity=warning', 'action=restart-pod', 'alertname=PodCrashLooping'])).toBe('default');
  });

  it('renders the Slack title and text templates of the rendered config with alert data', async () => {
    const slack = (parse(rendered.get('receivers')!) as AlertmanagerConfig).receivers[0]!.slack_configs![0]!;
    const alert = (labels: Record<string, string>, annotations: Record<string, string>) => ({ status: 'firing', labels, annotations });
    const data = {
      receiver: 'default',
      status: 'firing',
      alerts: [
        alert(
          { alertname: 'PodCrashLooping', severity: 'warning', component: 'database', namespace: 'aiops-platform', pod: 'aiops-platform-postgresql-0', action: 'restart-pod' },
          { summary: 'aiops-platform-postgresql-0 is crash-looping', description: 'Restarted 5 times in 10 minutes.' },
        ),
        alert({ alertname: 'PodCrashLooping', severity: 'warning', component: 'cache', namespace: 'aiops-platform' }, {}),
      ],
      groupLabels: { alertname: 'PodCrashLooping' },
      commonLabels: { alertname: 'PodCrashLooping', severity: 'warning', namespace: 'aiops-platform' },
      commonAnnotations: {},
      externalURL: 'http://aiops.local/alertmanager',
    };
    const common = ['template', 'render', `--template.glob=${writeTemp('empty.tmpl', '')}`, `--template.data=${writeTemp('data.json', JSON.stringify(data))}`];
    const title = await amtool([...common, `--template.text=${slack.title}`]);
    expect(title.code, output(title)).toBe(0);
    expect(title.stdout.trim()).toBe('[FIRING:2] PodCrashLooping in aiops-platform');
    const text = await amtool([...common, `--template.text=${slack.text}`]);
    expect(text.code, output(text)).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      '*WARNING* aiops-platform-postgresql-0 is crash-looping',
      'Restarted 5 times in 10 minutes.',
      '`component=database` `namespace=aiops-platform` `pod=aiops-platform-postgresql-0` `action=restart-pod`',
      '*WARNING* PodCrashLooping',
      '`component=cache` `namespace=aiops-platform`',
    ]);
  });
});
