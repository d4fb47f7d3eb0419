import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { footprint, footprintTable } from '../../src/cli/footprint.js';
import { cli } from '../support/cli.js';
import { renderValues, renderYaml } from '../support/render.js';

const GI = 2 ** 30;
const MI = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'aiops-footprint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const container = (name: string, requests: Record<string, string>, limits: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ name, resources: { requests, limits }, ...extra });
const workload = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind, metadata: { name, labels: { 'app.kubernetes.io/component': name } }, spec });

describe('footprint: what a render asks of the cluster', () => {
  it('counts a pod as the scheduler does: containers and sidecars summed, the largest init container if bigger; replicas, HPA minimums, claims', () => {
    const objects = [
      workload('Deployment', 'api', {
        replicas: 3,
        template: {
          spec: {
            initContainers: [container('migrate', { cpu: '2', memory: '64Mi' }, { cpu: '2', memory: '128Mi' }), container('proxy', { cpu: '100m', memory: '32Mi' }, { cpu: '200m', memory: '64Mi' }, { restartPolicy: 'Always' })],
            containers: [container('app', { cpu: '250m', memory: '256Mi' }, { cpu: '500m', memory: '512Mi' })],
          },
        },
      }),
      workload('Deployment', 'scaled', { template: { spec: { containers: [container('app', { cpu: '100m', memory: '100Mi' }, { memory: '200Mi' })] } } }),
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'scaled' }, spec: { minReplicas: 2, scaleTargetRef: { kind: 'Deployment', name: 'scaled' } } },
      workload('StatefulSet', 'db', {
        replicas: 2,
        template: { spec: { containers: [container('db', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] } },
        volumeClaimTemplates: [{ spec: { resources: { requests: { storage: '10Gi' } } } }],
      }),
      workload('DaemonSet', 'agent', { template: { spec: { containers: [container('agent', { cpu: '50m', memory: '50Mi' }, { cpu: '50m', memory: '50Mi' })] } } }),
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'backup' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [container('dump', { cpu: '4', memory: '8Gi' })] } } } } } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'files' }, spec: { resources: { requests: { storage: '5Gi' } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: {} },
    ];
    const f = footprint(objects);
    const api = f.workloads.find((w) => w.name === 'api')!;
    // Per pod: CPU max(0.25 + 0.1, 2) = 2 (the init container), memory max(256 + 32, 64) = 288Mi; × 3.
    expect(api.requests).toEqual({ cpu: 6, memory: 3 * 288 * MI });
    expect(api.limits).toEqual({ cpu: 6, memory: 3 * 576 * MI });
    const scaled = f.workloads.find((w) => w.name === 'scaled')!;
    expect(scaled).toMatchObject({ replicas: 2, requests: { cpu: 0.2, memory: 200 * MI }, limits: { cpu: null, memory: 400 * MI } });
    expect(f.workloads.find((w) => w.name === 'db')).toMatchObject({ replicas: 2, storage: 20 * GI });
    expect(f.workloads.find((w) => w.name === 'agent')).toMatchObject({ perNode: true, replicas: 1 });
    expect(f.workloads.find((w) => w.name === 'backup')).toMatchObject({ transient: true, requests: { cpu: 4, memory: 8 * GI } });
    expect(f.workloads.map((w) => w.name)).not.toContain('api-service');
    // The totals leave the CronJob out; a container without a CPU limit makes the CPU limit unbounded.
    expect(f.totals.requests).toEqual({ cpu: 6 + 0.2 + 2 + 0.05, memory: 3 * 288 * MI + 200 * MI + 2 * GI + 50 * MI });
    expect(f.totals.limits.cpu).toBeNull();
    expect(f.totals.storage).toBe(25 * GI);
    const table = footprintTable(f).split('\n');
    expect(table[0]).toMatch(/^WORKLOAD\s+KIND\s+PODS\s+CPU REQ\s+CPU LIM\s+MEM REQ\s+MEM LIM\s+STORAGE$/);
    expect(table.find((line) => line.startsWith('agent'))).toMatch(/1\/node/);
    expect(table.find((line) => line.startsWith('backup'))).toMatch(/1 \(job\)/);
    expect(table.at(-1)).toMatch(/^TOTAL \(running\)\s+8\.25\s+-\s+3\.1Gi\s+4\.1Gi\s+25\.0Gi$/);
  });

  it('keeps the default (development) render within 3 CPU and 6 GiB of requests', () => {
    const { totals } = footprint(renderValues().objects);
    expect(totals.requests.cpu).toBeLessThanOrEqual(3);
    expect(totals.requests.memory).toBeLessThanOrEqual(6 * GI);
    // Every long-running workload asks for something (a render without requests would pass the bound).
    expect(footprint(renderValues().objects).workloads.filter((w) => !w.transient && w.kind !== 'PersistentVolumeClaim').every((w) => w.requests.cpu > 0 && w.requests.memory > 0)).toBe(true);
  });

  it('sizes the production profile for HA: more pods, more than the development profile asks', () => {
    const development = footprint(renderValues().objects).totals;
    const production = footprint(renderYaml('global: {development: false}\n').objects).totals;
    expect(production.requests.cpu).toBeGreaterThan(development.requests.cpu);
    expect(production.requests.memory).toBeGreaterThan(development.requests.memory);
  });

  it('prints the table after the summary, or JSON alone with --report json; refuses another report', () => {
    const table = cli('--output', join(dir, 'a'));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\nWORKLOAD +KIND +PODS +CPU REQ/);
    expect(table.stdout).toMatch(/\nTOTAL \(running\) +[\d.]+ +- +[\d.]+Gi/);
    const json = cli('--output', join(dir, 'b'), '--report', 'json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { release: string; workloads: unknown[]; totals: { requests: { cpu: number; memory: number } } };
    expect(report.release).toBe('aiops-platform');
    expect(report.workloads.length).toBeGreaterThan(10);
    expect(report.totals.requests.memory).toBeLessThanOrEqual(6 * GI);
    const bad = cli('--output', join(dir, 'c'), '--report', 'yaml');
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toBe('error: --report "yaml": expected table or json\n');
  });

  it('gives each environment its totals in the table and its footprint in the JSON report', () => {
    const envs = join(dir, 'envs');
    mkdirSync(envs);
    writeFileSync(join(envs, 'dev.yaml'), 'redis: {enabled: false}\n');
    writeFileSync(join(envs, 'prod.yaml'), 'global: {development: false}\n');
    const table = cli('--environments', envs, '--output', join(dir, 'e1'));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ENVIRONMENT +RELEASE +NAMESPACE +PROFILE +OBJECTS +SIZE +WARNINGS +CPU REQ +MEM REQ +STORAGE/);
    const json = JSON.parse(cli('--environments', envs, '--output', join(dir, 'e2'), '--report', 'json').stdout) as { environments: Record<string, { totals: { requests: { cpu: number } } }> };
    expect(Object.keys(json.environments)).toEqual(['dev', 'prod']);
    expect(json.environments.prod!.totals.requests.cpu).toBeGreaterThan(json.environments.dev!.totals.requests.cpu);
  });
});
