import { describe, expect, it } from 'vitest';
import { registerCrdValidators } from './support/crd-validate.js';
import { validateK8sObject } from './support/k8s-validate.js';

registerCrdValidators();

const externalSecret = (spec: Record<string, unknown>) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'x', namespace: 'aiops-platform' },
  spec,
});

describe('CRD validation', () => {
  it('accepts a valid ExternalSecret', () => {
    const obj = externalSecret({
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
      target: { name: 'x' },
      data: [{ secretKey: 'password', remoteRef: { key: 'secret/aiops/x', property: 'password' } }],
    });
    expect(validateK8sObject(obj)).toEqual([]);
  });

  it('rejects a misspelled field of an ExternalSecret', () => {
    const obj = externalSecret({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' }, data: [{ secretKey: 'a', remoteRef: { key: 'k', propperty: 'p' } }] });
    expect(validateK8sObject(obj)).toContainEqual({ path: 'spec.data[0].remoteRef', message: 'unknown field "propperty"' });
  });

  it('rejects a wrong enum value of an ExternalSecret', () => {
    const obj = externalSecret({ secretStoreRef: { kind: 'VaultStore', name: 'vault' } });
    expect(validateK8sObject(obj).map((p) => p.path)).toContain('spec.secretStoreRef.kind');
  });

  it('checks the metadata of custom resources as ObjectMeta', () => {
    const obj = { ...externalSecret({}), metadata: { name: 'x', lables: {} } };
    expect(validateK8sObject(obj).map((p) => p.message).join()).toContain('lables');
  });

  const cnp = (spec: Record<string, unknown>) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'x', namespace: 'aiops-platform' }, spec });

  it('accepts a valid CiliumNetworkPolicy and rejects unknown entities, misspelled fields and a spec without a selector', () => {
    const egress = [{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }];
    expect(validateK8sObject(cnp({ endpointSelector: { matchLabels: { app: 'a' } }, egress }))).toEqual([]);
    expect(validateK8sObject(cnp({ endpointSelector: {}, egress: [{ toEntities: ['apiserver'] }] })).map((p) => p.path)).toContain('spec.egress[0].toEntities[0]');
    expect(validateK8sObject(cnp({ endpointSelector: {}, egress: [{ toEntity: ['host'] }] }))).toContainEqual({ path: 'spec.egress[0]', message: 'unknown field "toEntity"' });
    expect(validateK8sObject(cnp({ egress }))).not.toEqual([]);
  });
});
