import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/cli/render.js';
import { ensureServiceBundles } from '../../src/cli/service-bundles.js';
import { loadValues } from '../../src/values/load.js';
import { runVerify } from '../../src/verify.js';
import { servedKinds, startKubeFakeApi, type KubeFakeApi, type KubeObject } from '../support/kube-fake-api.js';

/**
 * `npm run verify` against a recording fake API server on 127.0.0.1 that serves the rendered
 * objects as a cluster would (discovery for @kubernetes/client-node, GET per object, a status per
 * workload): what it reports and exits with for a cluster as rendered, drift, missing objects,
 * rollouts in progress, rollouts that do not finish, and a cluster it cannot reach. It only reads.
 */

const bundles = new Map(ensureServiceBundles().map((b) => [b.name, b.code]));
const objects = render(loadValues({ files: [], sets: [] }).values, 'aiops-platform', 'aiops-platform', undefined, (s) => bundles.get(s)).objects as KubeObject[];

/** The object as the cluster holds it once rolled out: a generation and the controller's status. */
function live(object: KubeObject): KubeObject {
  const copy = structuredClone(object) as KubeObject & { spec?: any; status?: any };
  const replicas = copy.spec?.replicas ?? 1;
  copy.metadata.generation = 1;
  if (copy.kind === 'Deployment') copy.status = { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas };
  if (copy.kind === 'StatefulSet') copy.status = { observedGeneration: 1, replicas, currentReplicas: replicas, readyReplicas: replicas, currentRevision: 'r1', updateRevision: 'r1' };
  if (copy.kind === 'DaemonSet') copy.status = { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 };
  return copy;
}

let api: KubeFakeApi;
/** runVerify in this process; the fake's kubeconfig unless `argv` gives one. */
const verify = async (...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const kubeconfig = argv.includes('--kubeconfig') ? [] : ['--kubeconfig', api.kubeconfig('aiops-platform')];
  const code = await runVerify([...kubeconfig, ...argv], {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
};
const find = (kind: string, name: string) => api.objects().find((o) => o.kind === kind && o.metadata.name === name)! as KubeObject & { spec: any; status: any };

beforeAll(async () => {
  api = await startKubeFakeApi(servedKinds(objects));
});
afterAll(() => api.stop());

describe('npm run verify (a fake API server on 127.0.0.1)', () => {
  it('exits 0 when every object is there as rendered and every workload rolled out, and only reads', async () => {
    api.seed(...objects.map(live));
    // The API server writes quantities canonically: not drift.
    find('StatefulSet', 'aiops-platform-prometheus').spec.template.spec.containers[0].resources.requests.memory = '0.5Gi';
    const before = api.calls().length;
    const result = await verify('--timeout', '0');
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^WORKLOAD +READY  STATE$/m);
    expect(result.stdout).toMatch(/^StatefulSet aiops-platform\/aiops-platform-elasticsearch +1\/1 +rolled out$/m);
    expect(result.stdout).toMatch(/^DaemonSet aiops-platform-node-agents\/aiops-platform-filebeat +2\/2 +rolled out$/m);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^OK: \d+ objects present, no drift, \d+ workloads rolled out$/);
    expect(api.calls().slice(before).every((call) => call.startsWith('GET '))).toBe(true);
  });

  it('exits 1 naming each missing object and each drifted field: image, resources, replicas, a NetworkPolicy', async () => {
    api.seed(...objects.map(live));
    find('Deployment', 'aiops-platform-ai-engine').spec.template.spec.containers[0].image = 'node:18';
    // Scaled by hand to 5, and rolled out so.
    const traefik = find('Deployment', 'aiops-platform-traefik');
    traefik.spec.replicas = 5;
    traefik.status = { ...traefik.status, updatedReplicas: 5, availableReplicas: 5 };
    find('StatefulSet', 'aiops-platform-redis').spec.template.spec.containers[0].resources = { requests: { cpu: '1' } };
    const withPolicies = objects.some((o) => o.kind === 'NetworkPolicy');
    if (withPolicies) find('NetworkPolicy', objects.find((o) => o.kind === 'NetworkPolicy')!.metadata.name).spec.ingress = [{}];
    const gone = objects.find((o) => o.kind === 'ConfigMap')!;
    const kept = api.objects().filter((o) => !(o.kind === 'ConfigMap' && o.metadata.name === gone.metadata.name));
    await api.stop();
    api = await startKubeFakeApi(servedKinds(objects));
    api.seed(...kept);
    const result = await verify('--timeout', '0');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`missing: ConfigMap aiops-platform/${gone.metadata.name}`);
    expect(result.stdout).toMatch(/^drift: Deployment aiops-platform\/aiops-platform-ai-engine containers\[ai-engine\]\.image: rendered "docker\.io\/library\/node:[^"]+", live "node:18"$/m);
    expect(result.stdout).toMatch(/^drift: Deployment aiops-platform\/aiops-platform-traefik replicas: rendered 1, live 5$/m);
    expect(result.stdout).toMatch(/^drift: StatefulSet aiops-platform\/aiops-platform-redis containers\[redis\]\.resources: /m);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^NOT OK: 1 missing, [34] drifted$/);
  });

  it('waits for rollouts with progress on stderr, and exits 0 once they are done', async () => {
    api.seed(...objects.map(live));
    const es = find('StatefulSet', 'aiops-platform-elasticsearch');
    es.status = { ...es.status, readyReplicas: 0 };
    let reads = 0;
    api.beforeGet((object) => {
      if (object === es && ++reads >= 3) es.status.readyReplicas = 1;
    });
    const result = await verify('--timeout', '20');
    api.beforeGet(() => {});
    expect(result.code, result.stdout).toBe(0);
    expect(result.stderr).toMatch(/^waiting \d+ s for 1 rollout\(s\): StatefulSet aiops-platform\/aiops-platform-elasticsearch 0\/1$/m);
  }, 30_000);

  it('exits 1 when a rollout does not finish in time, saying what it waits for', async () => {
    api.seed(...objects.map(live));
    const gateway = find('Deployment', 'aiops-platform-api-gateway');
    gateway.status = { ...gateway.status, observedGeneration: 1, updatedReplicas: 0 };
    const result = await verify('--timeout', '1');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Deployment aiops-platform\/aiops-platform-api-gateway +1\/1 +0 of 1 updated$/m);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('NOT OK: 0 missing, 0 drifted, 1 workloads not rolled out in time');
  }, 20_000);

  it('exits 2 for an unknown context, a bad timeout, and a cluster it cannot reach', async () => {
    expect(await verify('--context', 'nope')).toMatchObject({ code: 2, stderr: 'error: --context nope: not in the kubeconfig (it has fake)\n' });
    expect(await verify('--timeout', '5m')).toMatchObject({ code: 2, stderr: 'error: --timeout "5m": expected whole seconds\n' });
    // The kubeconfig of a server that is gone (its file kept apart: stop() removes the fake's folder).
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'aiops-verify-')), 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(api.kubeconfig('aiops-platform')));
    await api.stop();
    const result = await verify('--kubeconfig', kubeconfig);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: cannot read Namespace aiops-platform from http:\/\/127\.0\.0\.1:\d+: /);
    api = await startKubeFakeApi(servedKinds(objects));
  });
});
