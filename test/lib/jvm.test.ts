import { describe, expect, it } from 'vitest';
import { jvmHeapMi, jvmHeapOptions } from '../../src/lib/jvm.js';
import type { ResourceValues } from '../../src/values/schema/common.js';

const sized = (request: string, limit?: string): ResourceValues => ({
  requests: { cpu: '100m', memory: request },
  limits: limit === undefined ? {} : { memory: limit },
});

describe('JVM heap', () => {
  it('is half the memory limit, in whole MiB', () => {
    expect(jvmHeapMi(sized('1Gi', '2Gi'), undefined)).toBe(1024);
    expect(jvmHeapMi(sized('1Gi', '1G'), undefined)).toBe(476);
  });

  it('uses half the request when there is no memory limit', () => {
    expect(jvmHeapMi(sized('3Gi'), undefined)).toBe(1536);
  });

  it('takes heapSize as given', () => {
    expect(jvmHeapMi(sized('1Gi', '4Gi'), '1536Mi')).toBe(1536);
    expect(jvmHeapMi(sized('1Gi', '4Gi'), '3Gi', { maxMi: 1024 })).toBe(3072);
  });

  it('keeps a derived heap within the bounds', () => {
    expect(jvmHeapMi(sized('64Gi', '128Gi'), undefined, { maxMi: 31744 })).toBe(31744);
    expect(jvmHeapMi(sized('256Mi', '256Mi'), undefined, { minMi: 256 })).toBe(256);
  });

  it('refuses a memory too small for any heap', () => {
    expect(() => jvmHeapMi(sized('1Mi', '1Mi'), undefined)).toThrow(/no JVM heap/);
  });

  it('writes equal -Xms and -Xmx', () => {
    expect(jvmHeapOptions(512)).toBe('-Xms512m -Xmx512m');
  });
});
