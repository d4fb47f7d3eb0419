/**
 * The Prometheus backup CronJob's script against the real Debian Prometheus, started as the chart
 * runs it (route prefix /prometheus, `--web.enable-admin-api`) on a temp data directory: with the
 * rendered Job's environment (replica 0's URL replaced by 127.0.0.1, the mounted paths by temp
 * folders) it asks for a TSDB snapshot, copies the snapshot's directory to the backup folder,
 * removes it from the data directory and keeps the newest `KEEP`. The copy opens as a data
 * directory of its own: a second Prometheus started on it answers the samples the first one had
 * (the README's restore). Without the admin API the script fails and copies nothing. Skipped with
 * a warning without Debian's prometheus.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROMETHEUS_BINARY } from '../support/prom-servers.js';
import { freePort } from '../support/postgresql-server.js';
import { onPath, output, runProcess, toolsPresent } from '../support/process.js';
import { envValues, find, renderYaml, workload } from '../support/render.js';

const NAME = 'aiops-platform-prometheus-backup';
const havePrometheus = toolsPresent('the Prometheus backup tests', [...(PROMETHEUS_BINARY ? [] : ['prometheus']), ...(onPath('wget') ? [] : ['wget'])], 'Debian: apt-get install prometheus wget');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SNAPSHOT_NAME = /^\d{8}T\d{6}Z-[0-9a-f]+$/;

interface Running {
  readonly url: string;
  stop(): Promise<void>;
  log(): string;
}

const stops: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

/** Prometheus on `dataDir` under /prometheus, scraping itself every second; with or without the admin API. */
async function startPrometheus(dataDir: string, adminApi: boolean): Promise<Running> {
  const port = await freePort();
  const configDir = mkdtempSync(join(tmpdir(), 'prom-backup-config-'));
  stops.push(() => rmSync(configDir, { recursive: true, force: true }));
  writeFileSync(
    join(configDir, 'prometheus.yml'),
    `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: self\n    metrics_path: /prometheus/metrics\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`,
  );
  const url = `http://127.0.0.1:${port}/prometheus`;
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY!,
    [
      `--config.file=${join(configDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.route-prefix=/prometheus',
      `--web.external-url=${url}`,
      '--log.level=warn',
      ...(adminApi ? ['--web.enable-admin-api'] : []),
    ],
    { env: { PATH: process.env.PATH, HOME: configDir, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  stops.push(stop);
  const deadline = Date.now() + 20_000;
  while (!(await fetch(`${url}/-/ready`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) throw new Error(`prometheus never became ready:\n${log}`);
    await sleep(100);
  }
  return { url, stop, log: () => log };
}

/** The number of samples of `up` Prometheus at `url` has over the last hour. */
async function upSamples(url: string): Promise<number> {
  const answer = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count_over_time(up[1h])')}`)).json()) as { data: { result: { value: [number, string] }[] } };
  return Number(answer.data.result[0]?.value[1] ?? 0);
}

describe.runIf(havePrometheus)('Prometheus TSDB snapshots with the rendered CronJob script on a real Prometheus', () => {
  const r = renderYaml('backup: {enabled: true, keep: 2, prometheus: {enabled: true}}\n');
  const script: string = find(r.objects, 'ConfigMap', NAME).data['backup.sh'];
  const container = workload('CronJob', NAME).container(r);
  const root = mkdtempSync(join(tmpdir(), 'prom-backup-'));
  stops.push(() => rmSync(root, { recursive: true, force: true }));
  const scriptFile = join(root, 'backup.sh');
  writeFileSync(scriptFile, script);
  const dataDir = join(root, 'data');
  const backupDir = join(root, 'backup', 'prometheus');

  const run = (url: string, shell = 'sh') =>
    runProcess(shell, [scriptFile], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...envValues(container), PROMETHEUS_URL: url, DATA_DIR: dataDir, BACKUP_DIR: backupDir }, timeoutMs: 60_000 });
  const copies = () => (existsSync(backupDir) ? readdirSync(backupDir).sort() : []);

  it('copies a snapshot to the backup folder, removes it from the data directory, and keeps the newest KEEP (2)', async () => {
    mkdirSync(dataDir);
    const prometheus = await startPrometheus(dataDir, true);
    while ((await upSamples(prometheus.url)) < 3) await sleep(500);
    const shells = ['sh', ...(onPath('bash') ? ['bash'] : []), 'sh'];
    const taken: string[] = [];
    for (const shell of shells) {
      const result = await run(prometheus.url, shell);
      expect(result.code, output(result)).toBe(0);
      const name = /snapshot (\S+) copied to/.exec(result.stdout)?.[1];
      expect(name, result.stdout).toMatch(SNAPSHOT_NAME);
      taken.push(name!);
      // Nothing left in the data volume's snapshots folder.
      expect(readdirSync(join(dataDir, 'snapshots'))).toEqual([]);
      await sleep(1_100); // snapshot names carry the second
    }
    expect(copies()).toEqual(taken.slice(-2).sort());
    // The copy holds the TSDB: the head written as a block (meta.json, chunks, index).
    const newest = join(backupDir, taken.at(-1)!);
    const blocks = readdirSync(newest).filter((b) => /^[0-9A-Z]{26}$/.test(b));
    expect(blocks.length).toBeGreaterThan(0);
    expect(readdirSync(join(newest, blocks[0]!)).sort()).toEqual(expect.arrayContaining(['chunks', 'index', 'meta.json']));
    const before = await upSamples(prometheus.url);
    await prometheus.stop();

    // The README's restore: the copy as the data directory of a Prometheus has the samples.
    const restored = join(root, 'restored');
    cpSync(newest, restored, { recursive: true });
    const second = await startPrometheus(restored, false);
    const after = await upSamples(second.url);
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(before + 5);
    await second.stop();
  }, 120_000);

  it('fails without the admin API and copies nothing', async () => {
    const other = join(root, 'other-data');
    mkdirSync(other);
    const prometheus = await startPrometheus(other, false);
    const before = copies();
    const result = await run(prometheus.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/prometheus\/api\/v1\/admin\/tsdb\/snapshot failed: is Prometheus up, with its admin API/);
    expect(copies()).toEqual(before);
    await prometheus.stop();
  }, 60_000);
});
