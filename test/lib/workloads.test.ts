import type { k8s } from '../../src/lib/k8s.js';
import { describe, expect, it } from 'vitest';
import { podTemplate } from '../../src/lib/pod.js';
import { baseContainer } from '../../src/lib/container.js';
import { createCronJob, createDaemonSet, createDeployment, createJob } from '../../src/lib/workloads.js';
import { renderConstruct } from '../support/construct.js';

const ID = { name: 'agent', component: 'test' };
const scheduling = { nodeSelector: {}, tolerations: [], podAnnotations: {}, podLabels: {} };
const container: k8s.Container = { name: 'agent', image: 'example/agent:1' };

describe('host access of workloads', () => {
  const cases: [string, Partial<Parameters<typeof podTemplate>[1]>, string][] = [
    ['root', { runAs: 'root' }, 'root \\(uid 0\\)'],
    ['the host network', { host: { network: true } }, 'host namespaces'],
    ['a hostPath volume', { volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] }, 'hostPath volumes'],
  ];

  it.each(cases)('allows %s only in the node agents namespace', (_what, extra, message) => {
    const build = (namespace: 'platform' | 'agents', kind: 'DaemonSet' | 'Deployment') =>
      renderConstruct('', (chart, ctx) => {
        const template = podTemplate(ctx, { id: ID, version: '1', scheduling, runAs: { user: 1000 }, containers: [container], ...extra });
        const o = { name: 'agent', id: ID, version: '1', template, ...(namespace === 'agents' ? { namespace: ctx.agentsNamespace } : {}) };
        if (kind === 'DaemonSet') createDaemonSet(chart, ctx, o);
        else createDeployment(chart, ctx, o);
      });
    for (const kind of ['DaemonSet', 'Deployment'] as const) {
      expect(() => build('platform', kind)).toThrow(new RegExp(`agent uses ${message}, which only the node agents' namespace aiops-platform-node-agents allows, not aiops-platform`));
      expect(build('agents', kind).objects[0].metadata.namespace).toBe('aiops-platform-node-agents');
    }
  });

  it('keeps restricted pods in the platform namespace by default', () => {
    const r = renderConstruct('', (chart, ctx) => {
      const template = podTemplate(ctx, { id: ID, version: '1', scheduling, runAs: { user: 1000 }, containers: [container] });
      createDeployment(chart, ctx, { name: 'agent', id: ID, version: '1', template });
    });
    expect(r.objects[0].metadata.namespace).toBe('aiops-platform');
    expect(r.objects[0].spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  it("gives runAs 'root' uid 0 without the non-root guarantee, and refuses uid 0 as a restricted user", () => {
    renderConstruct('', (_chart, ctx) => {
      expect(podTemplate(ctx, { id: ID, version: '1', scheduling, runAs: 'root', containers: [container] }).spec!.securityContext).toEqual({
        runAsNonRoot: false,
        runAsUser: 0,
        runAsGroup: 0,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(() => podTemplate(ctx, { id: ID, version: '1', scheduling, runAs: { user: 0 }, containers: [container] })).toThrow(/runAs 'root'/);
    });
  });
});

describe('containers and Jobs', () => {
  it('gives every container the image (global registry applied), pull policy, resources and the restricted context', () => {
    const r = renderConstruct('global: { imageRegistry: mirror.example }\nredis: { resources: { requests: { cpu: 100m, memory: 64Mi } } }', (_chart, ctx, values) =>
      baseContainer(ctx, 'redis', values.redis),
    );
    expect(r.built).toMatchObject({
      name: 'redis',
      image: expect.stringMatching(/^mirror\.example\/.*redis:/),
      imagePullPolicy: 'Always',
      resources: { requests: { cpu: { value: '100m' }, memory: { value: '64Mi' } }, limits: { memory: { value: '64Mi' } } },
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
  });

  it('runs a one-off Job once per apply (removed 5 minutes after it finished); its CronJob runs the same spec', () => {
    const r = renderConstruct('', (chart, ctx) => {
      const template = podTemplate(ctx, { id: ID, version: '1', scheduling, runAs: { user: 1000 }, containers: [container], restartPolicy: 'OnFailure' });
      const jobSpec = { backoffLimit: 2, template };
      createJob(chart, ctx, { name: 'agent', id: ID, version: '1', jobSpec });
      createCronJob(chart, ctx, { name: 'agent', id: ID, version: '1', schedule: '0 3 * * *', jobSpec });
    });
    const [job, cronJob] = r.objects;
    expect(job).toMatchObject({ kind: 'Job', metadata: { name: 'agent' }, spec: { backoffLimit: 2, ttlSecondsAfterFinished: 300 } });
    expect(cronJob.spec.jobTemplate.spec).toEqual({ backoffLimit: 2, template: job.spec.template });
  });
});
