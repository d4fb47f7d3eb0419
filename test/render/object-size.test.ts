import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../src/cli/render.js';
import { ensureServiceBundles } from '../../src/cli/service-bundles.js';
import { loadValues } from '../../src/values/load.js';
import { renderCases } from '../support/renders.js';

/**
 * Plain client-side `kubectl apply -f dist/` stores each object, serialized as JSON, in its
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, and all annotations of an object
 * together may hold at most 262,144 bytes (the API server's TotalAnnotationSizeLimitB). So every
 * object of every golden case, rendered with the REAL bundles of the platform services (the goldens
 * use small stand-ins), must leave room for the annotation's key and the object's own annotations.
 */

const ANNOTATIONS_LIMIT = 262_144;
/** The annotation key, the JSON quoting around the object, and the object's other annotations (a few checksums and scrape settings). */
const MARGIN = 4_096;
const LIMIT = ANNOTATIONS_LIMIT - MARGIN;

const bundles = new Map(ensureServiceBundles().map((b) => [b.name, b.code]));
const serviceCode = (service: string) => bundles.get(service);
const n = (bytes: number) => bytes.toLocaleString('en-US');
/** `<object>: <bytes>` of each code ConfigMap → the cases it has that size in, printed once at the end. */
const codeMapSizes = new Map<string, string[]>();
afterAll(() => {
  for (const [line, cases] of codeMapSizes) console.log(`${line} in ${cases.length === renderCases().length ? 'every case' : cases.join(', ')}`);
});

describe('object sizes with the real service bundles', () => {
  it('renders the real self-healing bundle into its code ConfigMap (the sizes below are real)', () => {
    const { values } = loadValues({ files: [], sets: [] });
    const configMap = render(values, 'aiops-platform', 'aiops-platform', undefined, serviceCode).objects.find(
      (o) => o.kind === 'ConfigMap' && (o.metadata as { name: string }).name === 'aiops-platform-self-healing-code',
    ) as { binaryData: Record<string, string> } | undefined;
    expect(bundles.get('self-healing')?.length).toBeGreaterThan(10_000);
    expect(gunzipSync(Buffer.from(configMap!.binaryData['main.js.gz']!, 'base64'))).toEqual(bundles.get('self-healing'));
  });

  it.each(renderCases().map((c) => [c.name, c] as const))('%s: every object stays below the last-applied annotation limit', (_name, c) => {
    const { values } = loadValues({ files: c.files, sets: c.sets });
    const { objects } = render(values, 'aiops-platform', 'aiops-platform', undefined, serviceCode);
    const sizes = objects.map((o) => ({ object: `${String(o.kind)}/${(o.metadata as { name: string }).name}`, bytes: Buffer.byteLength(JSON.stringify(o)) }));
    const codeMaps = objects.filter((o) => o.kind === 'ConfigMap' && (o as { binaryData?: unknown }).binaryData !== undefined);
    for (const o of codeMaps) {
      const { object, bytes } = sizes.find((s) => s.object === `ConfigMap/${(o.metadata as { name: string }).name}`)!;
      const line = `${object}: ${n(bytes)} bytes as JSON (limit ${n(LIMIT)}, ${((bytes / LIMIT) * 100).toFixed(0)} %)`;
      codeMapSizes.set(line, [...(codeMapSizes.get(line) ?? []), c.name]);
    }
    expect(sizes.filter((s) => s.bytes > LIMIT)).toEqual([]);
  });
});
