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
});
