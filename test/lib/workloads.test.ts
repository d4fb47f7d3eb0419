import type { k8s } from 'cdk8s-plus-27';
import { describe, expect, it } from 'vitest';
import { podTemplate } from '../../src/lib/pod.js';
import { createDaemonSet, createDeployment } from '../../src/lib/workloads.js';
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
