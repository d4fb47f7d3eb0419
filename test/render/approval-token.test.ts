import { describe, expect, it } from 'vitest';
import { containerOf, envOf, find, podSpecOf, renderYaml } from '../support/render.js';

/** The gateway and the executor read the approval token from the same Secret key in the whole chart. */
describe('the approval token between the API gateway and the executor', () => {
  const tokenRef = (r: ReturnType<typeof renderYaml>, name: string) => envOf(containerOf(podSpecOf(find(r.objects, 'Deployment', `aiops-platform-${name}`))), 'APPROVAL_TOKEN')?.valueFrom?.secretKeyRef;

  it('is the same Secret key on both sides, required by the executor in approval mode', () => {
    const r = renderYaml('selfHealing: {mode: approval}\n');
    const gateway = tokenRef(r, 'api-gateway');
    const executor = tokenRef(r, 'self-healing');
    expect(gateway).toMatchObject({ name: 'aiops-platform-api-gateway', key: 'approval-token' });
    expect({ name: executor.name, key: executor.key }).toEqual({ name: gateway.name, key: gateway.key });
    expect(executor.optional).toBeFalsy();
    expect(find(r.objects, 'Secret', 'aiops-platform-api-gateway').stringData).toHaveProperty('approval-token');
  });

  it('follows apiGateway.admin.existingSecret, and is absent from the executor without a gateway', () => {
    const existing = renderYaml('apiGateway: {admin: {existingSecret: my-gateway}}\n');
    expect(tokenRef(existing, 'self-healing')).toMatchObject({ name: 'my-gateway', key: 'approval-token' });
    expect(tokenRef(renderYaml('apiGateway: {enabled: false}\n'), 'self-healing')).toBeUndefined();
  });
});
