/**
 * Audit of every generated shell script in a full render: the release, namespace and cluster
 * domain (the values that reach scripts through names and host names) appear only inside
 * single-quoted words, i.e. through shellQuote. A new script line that pastes a value unquoted
 * fails here, whatever component it belongs to.
 */
import { describe, expect, it } from 'vitest';
import { parseManifests, renderValues } from '../support/render.js';

const RELEASE = 'zzrel';
const NAMESPACE = 'zzns';
const DOMAIN = 'zzdomain.internal';
const MARKERS = [RELEASE, NAMESPACE, DOMAIN];

/** Every shell script of the render: `sh -c` commands, args and probes, and `.sh` files of ConfigMaps. */
function scripts(objects: readonly Record<string, any>[]): { where: string; text: string }[] {
  const found: { where: string; text: string }[] = [];
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      const at = node.indexOf('-c');
      if (at > 0 && /(^|\/)(ba)?sh$/.test(String(node[at - 1])) && typeof node[at + 1] === 'string') found.push({ where, text: node[at + 1] });
      node.forEach((n, i) => visit(n, `${where}[${i}]`));
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
    }
  };
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata?.name}`;
    visit(o.spec, where);
    if (o.kind === 'ConfigMap') {
      for (const [file, text] of Object.entries<string>(o.data ?? {})) if (file.endsWith('.sh')) found.push({ where: `${where}:${file}`, text });
    }
  }
  return found;
}

/**
 * Whether each character of a POSIX shell script is inside '…' (or a comment). Double
 * quotes, backslashes and comments are followed; `'` inside "…" is literal, as in sh.
 */
function singleQuoted(text: string): boolean[] {
  const inside: boolean[] = [];
  let state: 'none' | 'single' | 'double' | 'comment' = 'none';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    // Comments run nothing: counted as quoted.
    inside.push((state === 'single' && c !== "'") || state === 'comment');
    if (state === 'comment') {
      if (c === '\n') state = 'none';
    } else if (state === 'single') {
      if (c === "'") state = 'none';
    } else if (state === 'double') {
      if (c === '\\') {
        inside.push(false);
        i++;
      } else if (c === '"') state = 'none';
    } else if (c === '\\') {
      inside.push(false);
      i++;
    } else if (c === "'") state = 'single';
    else if (c === '"') state = 'double';
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) state = 'comment';
  }
  return inside;
}

/** Lines of `text` where a marker appears outside single quotes (and outside comments). */
function unquoted(text: string): string[] {
  const quoted = singleQuoted(text);
  const lines = new Set<string>();
  for (const marker of MARKERS) {
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
      const line = text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at) < 0 ? undefined : text.indexOf('\n', at));
      if (![...marker].every((_, k) => quoted[at + k])) lines.add(line.trim());
    }
  }
  return [...lines];
}

describe('generated shell scripts', () => {
  it('the audit itself: a marker in double quotes or bare is found, in single quotes or a comment it is not', () => {
    expect(unquoted(`url="https://kubernetes.default.svc/api/v1/namespaces/${NAMESPACE}/secrets"`)).toHaveLength(1);
    expect(unquoted(`first=${RELEASE}-redis-0.${DOMAIN}`)).toHaveLength(1);
    expect(unquoted(`echo "it's" '${RELEASE}'`)).toEqual([]);
    expect(unquoted(`first='${RELEASE}-redis-0'.'${DOMAIN}' # ${NAMESPACE}`)).toEqual([]);
  });

  it.each([
    ['development', `global: {clusterDomain: ${DOMAIN}}\n`],
    [
      'production with Redis Cluster and 3 Elasticsearch nodes',
      `global: {development: false, clusterDomain: ${DOMAIN}}\nredis: {cluster: {enabled: true}}\nelasticsearch: {replicas: 3}\n`,
    ],
  ])('quote the release, namespace and cluster domain wherever they appear (%s)', (name, text) => {
    const { yaml } = renderValues([{ name: 'values.yaml', text }], [], RELEASE, NAMESPACE);
    const all = scripts(parseManifests(yaml));
    expect(all.length).toBeGreaterThan(3);
    // In production the markers reach the Redis cluster Job and the Elasticsearch TLS scripts.
    if (name !== 'development') expect(all.filter((s) => MARKERS.some((m) => s.text.includes(m))).length).toBeGreaterThanOrEqual(3);
    const offenders = all.flatMap((s) => unquoted(s.text).map((line) => `${s.where}: ${line}`));
    expect(offenders).toEqual([]);
  });
});
