import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { logstashString, renderLogstashPipeline, type LogstashPipeline, type LogstashValue } from '../../src/components/logging/logstash-config.js';
import { Logstash, type LogstashConnection } from '../../src/components/logging/logstash.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { ES_HOST, sampleElasticsearch } from '../support/connections.js';
import { find, ofKind, workload } from '../support/render.js';

const ES = sampleElasticsearch();
const ES_NO_AUTH = sampleElasticsearch({ authEnabled: false });
const NAME = 'aiops-platform-logstash';
const PRODUCTION = 'global: {development: false}\n';

const render = (valuesYaml = '', es = ES): ConstructRender & { connection: LogstashConnection } => {
  const r = renderConstruct(valuesYaml, (chart, ctx, values) => {
    return new Logstash(chart, 'logstash', { ctx, values: values.logstash, elasticsearch: es }).connection;
  });
  return { ...r, connection: r.built };
};
const { object: deployment, container, env } = workload('Deployment', NAME);
const configMap = (r: ConstructRender) => find(r.objects, 'ConfigMap', NAME);

const PIPELINE = `input {
  beats {
    port => 5044
  }
}
filter {
  mutate {
    remove_field => ["[agent]", "[ecs]", "[input]", "[host]", "[log][offset]", "[log][file][device_id]", "[log][file][inode]", "[log][file][fingerprint]"]
  }
}
output {
  elasticsearch {
    hosts => ["http://${ES_HOST}:9200"]
    index => "aiops-logs-%{+YYYY.MM.dd}"
    manage_template => false
    ilm_enabled => false
    data_stream => false
    user => "logstash_writer"
    password => "\${LOGSTASH_WRITER_PASSWORD}"
  }
}
`;

describe('Logstash', () => {
  const defaults = render();
  const production = render(PRODUCTION);

  it('renders ConfigMap, Deployment and Service in development, each valid against the Kubernetes schema', () => {
    assertValidK8sObjects(defaults.objects);
    assertValidK8sObjects(production.objects);
    expect(defaults.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      `ConfigMap/aiops-platform/${NAME}`,
      `Deployment/aiops-platform/${NAME}`,
      `Service/aiops-platform/${NAME}`,
    ]);
  });

  it('pipes Beats on 5044 into daily aiops-logs indices as logstash_writer, leaving template and ILM to the setup Job', () => {
    expect(configMap(defaults).data['logstash.conf']).toBe(PIPELINE);
  });

  it('reads the logstash_writer password only from the Elasticsearch Secret, never from the ConfigMap', () => {
    expect(env(defaults, 'LOGSTASH_WRITER_PASSWORD')).toEqual({
      name: 'LOGSTASH_WRITER_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'es-credentials', key: 'logstash-writer-password' } },
    });
    expect(container(defaults).env.map((e: any) => e.name)).toEqual(['LS_JAVA_OPTS', 'LOGSTASH_WRITER_PASSWORD']);
    const data = Object.values(configMap(defaults).data).join('\n');
    expect(data.match(/password.*/g)).toEqual(['password => "${LOGSTASH_WRITER_PASSWORD}"']);
    expect(ofKind(defaults.objects, 'Secret')).toEqual([]);
  });

  it('signs in to nothing when Elasticsearch security is off', () => {
    const r = render('', ES_NO_AUTH);
    const pipeline: string = configMap(r).data['logstash.conf'];
    expect(pipeline).not.toMatch(/user|password/);
    expect(pipeline).toContain(`hosts => ["http://${ES_HOST}:9200"]`);
    expect(container(r).env.map((e: any) => e.name)).toEqual(['LS_JAVA_OPTS']);
  });

  it('refuses a connection with security on but no Secret', () => {
    expect(() => render('', { ...ES, secretName: undefined })).toThrow(/no secretName/);
  });

  it('gives the JVM half the memory limit, or heapSize', () => {
    expect(env(defaults, 'LS_JAVA_OPTS').value).toBe('-Xms512m -Xmx512m');
    expect(env(production, 'LS_JAVA_OPTS').value).toBe('-Xms1024m -Xmx1024m');
    expect(env(render('logstash: {heapSize: 768Mi}'), 'LS_JAVA_OPTS').value).toBe('-Xms768m -Xmx768m');
    expect(env(render('logstash: {resources: {requests: {cpu: 1, memory: 3Gi}}}'), 'LS_JAVA_OPTS').value).toBe('-Xms1536m -Xmx1536m');
    expect(() => render('logstash: {heapSize: 1Gi}')).toThrow(/heapSize 1Gi is not below the memory limit 1Gi/);
  });

  it('writes logstash.yml with the API on all interfaces, escapes on, no reload, memory queue, no legacy monitoring', () => {
    const yml = parse(configMap(defaults).data['logstash.yml']);
    expect(yml).toEqual({
      'api.http.host': '0.0.0.0',
      'api.http.port': 9600,
      'path.data': '/usr/share/logstash/data',
      'pipeline.ecs_compatibility': 'v8',
      'config.support_escapes': true,
      'config.reload.automatic': false,
      'queue.type': 'memory',
      'log.level': 'debug',
      'xpack.monitoring.enabled': false,
    });
    expect(parse(configMap(production).data['logstash.yml'])['log.level']).toBe('info');
    expect(parse(configMap(render('global: {logLevel: warn}')).data['logstash.yml'])['log.level']).toBe('warn');
  });

  it('serves beats 5044 and the API 9600 on the Service and exposes them as connection', () => {
    const service = find(defaults.objects, 'Service', NAME);
    expect(service.spec.ports).toEqual([
      { name: 'beats', port: 5044, protocol: 'TCP', targetPort: 'beats' },
      { name: 'http', port: 9600, protocol: 'TCP', targetPort: 'http' },
    ]);
    expect(container(defaults).ports.map((p: any) => [p.name, p.containerPort])).toEqual([['beats', 5044], ['http', 9600]]);
    expect(defaults.connection).toEqual({ serviceName: NAME, host: `${NAME}.aiops-platform.svc.cluster.local`, beatsPort: 5044 });
  });

  it('is ready once the beats input listens; startup and liveness probe the node info API, a start of up to ten minutes', () => {
    const c = container(defaults);
    // GET / answers from the agent's start, while the pipeline still compiles: too early for the Service.
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 'beats' });
    expect(c.readinessProbe.httpGet).toBeUndefined();
    for (const probe of [c.livenessProbe, c.startupProbe]) expect(probe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(600);
  });

  it('runs as uid 1000 with a read-only root filesystem and writes only to data and /tmp', () => {
    const pod = deployment(defaults).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(container(defaults).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const writable = container(defaults).volumeMounts.filter((m: any) => !m.readOnly);
    expect(writable.map((m: any) => m.mountPath)).toEqual(['/usr/share/logstash/data', '/tmp']);
    expect(pod.volumes.filter((v: any) => writable.some((m: any) => m.name === v.name)).every((v: any) => v.emptyDir)).toBe(true);
    expect(container(defaults).volumeMounts.filter((m: any) => m.readOnly).map((m: any) => [m.mountPath, m.subPath])).toEqual([
      ['/usr/share/logstash/config/logstash.yml', 'logstash.yml'],
      ['/usr/share/logstash/pipeline/logstash.conf', 'logstash.conf'],
    ]);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('rolls the pods when the pipeline changes', () => {
    const annotation = (r: ConstructRender) => deployment(r).spec.template.metadata.annotations['checksum/config'];
    expect(annotation(defaults)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(render('', ES_NO_AUTH))).not.toBe(annotation(defaults));
  });

  it('keeps a fixed replica count without an HPA or PDB in development', () => {
    expect(deployment(defaults).spec.replicas).toBe(1);
    expect(ofKind(defaults.objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(ofKind(defaults.objects, 'PodDisruptionBudget')).toEqual([]);
  });

  it('lets an HPA on CPU only own the replicas in production, from replicas to maxReplicas, with a PDB', () => {
    expect(deployment(production).spec.replicas).toBeUndefined();
    const hpa = find(production.objects, 'HorizontalPodAutoscaler', NAME);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        // Not memory: the heap is fixed (-Xms = -Xmx), so the pods' memory never falls and an HPA
        // on it would scale out to maxReplicas and never back in.
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    });
    const heap = env(production, 'LS_JAVA_OPTS').value.match(/-Xms(\d+m) -Xmx(\d+m)/);
    expect(heap[1]).toBe(heap[2]);
    const pdb = find(production.objects, 'PodDisruptionBudget', NAME);
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment(production).spec.selector.matchLabels } });
  });

  it('takes the HPA bounds and targets from values', () => {
    const r = render('logstash: {autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 60}}');
    const hpa = find(r.objects, 'HorizontalPodAutoscaler', NAME);
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 4]);
    expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([['cpu', 60]]);
    // A memory target is not a Logstash key: refused, not silently ignored.
    expect(() => render('logstash: {autoscaling: {enabled: true, targetMemoryUtilizationPercentage: 90}}')).toThrow(/targetMemoryUtilizationPercentage/);
    const off = render(`${PRODUCTION}logstash: {replicas: 3, autoscaling: {enabled: false}}`);
    expect(deployment(off).spec.replicas).toBe(3);
    expect(ofKind(off.objects, 'HorizontalPodAutoscaler')).toEqual([]);
  });

  it('refuses replicas above maxReplicas when they are the HPA lower bound', () => {
    expect(() => render(`${PRODUCTION}logstash: {replicas: 8}`)).toThrow(/autoscaling\.maxReplicas \(6\) is below replicas \(8\)/);
    expect(find(render(`${PRODUCTION}logstash: {replicas: 8, autoscaling: {minReplicas: 3}}`).objects, 'HorizontalPodAutoscaler', NAME).spec.minReplicas).toBe(3);
  });
});

/**
 * Reads back what {@link renderLogstashPipeline} writes, as Logstash does: strings by the LSCL
 * grammar (`'"' ('\"' / !'"' .)* '"'`), then unescaped as with `config.support_escapes: true`
 * (Logstash's StringEscapeHelper: `\\ \" \' \n \r \t`, any other escaped character as itself).
 */
function parsePipeline(text: string): LogstashPipeline {
  let at = 0;
  const skip = () => {
    while (/\s/.test(text[at] ?? '')) at += 1;
  };
  const expectText = (token: string) => {
    skip();
    if (!text.startsWith(token, at)) throw new Error(`expected ${token} at ${at}: ${text.slice(at, at + 20)}`);
    at += token.length;
  };
  const token = (pattern: RegExp) => {
    skip();
    const match = pattern.exec(text.slice(at));
    if (!match) throw new Error(`expected ${String(pattern)} at ${at}`);
    at += match[0].length;
    return match[0];
  };
  const name = () => token(/^[A-Za-z0-9_-]+/);
  const unescape = (raw: string) =>
    raw.replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c as 'n' | 'r' | 't'] ?? c);
  const string = () => {
    expectText('"');
    let raw = '';
    while (text[at] !== '"') {
      if (at >= text.length) throw new Error('unterminated string');
      if (text.startsWith('\\"', at)) {
        raw += '\\"';
        at += 2;
      } else {
        raw += text[at];
        at += 1;
      }
    }
    at += 1;
    return unescape(raw);
  };
  const value = (): LogstashValue => {
    skip();
    if (text[at] === '"') return string();
    if (text[at] === '[') {
      at += 1;
      const items: LogstashValue[] = [];
      skip();
      while (text[at] !== ']') {
        items.push(value());
        skip();
        if (text[at] === ',') at += 1;
        skip();
      }
      at += 1;
      return items;
    }
    if (text[at] === '{') {
      at += 1;
      const hash: Record<string, LogstashValue> = {};
      skip();
      while (text[at] !== '}') {
        const key = string();
        expectText('=>');
        hash[key] = value();
        skip();
      }
      at += 1;
      return hash;
    }
    const bare = token(/^(true|false|-?\d+(\.\d+)?)(?![\w.])/);
    return bare === 'true' ? true : bare === 'false' ? false : Number(bare);
  };
  const pipeline = { input: [], filter: [], output: [] } as { [K in keyof LogstashPipeline]: LogstashPipeline[K][number][] };
  skip();
  while (at < text.length) {
    const section = name() as keyof LogstashPipeline;
    expectText('{');
    skip();
    while (text[at] !== '}') {
      const plugin = name();
      expectText('{');
      const settings: Record<string, LogstashValue> = {};
      skip();
      while (text[at] !== '}') {
        const key = name();
        expectText('=>');
        settings[key] = value();
        skip();
      }
      at += 1;
      pipeline[section].push({ plugin, settings });
      skip();
    }
    at += 1;
    skip();
  }
  return pipeline;
}

describe('Logstash pipeline serializer', () => {
  const tricky = ['plain', 'with "quotes"', 'back\\slash', 'a\\"b', '\\\\n is not a newline', 'line\nbreak\r\ttab', "it's", '${ENV_VAR}', '%{+YYYY.MM.dd}', '[a][b]', '{}=>#', ''];

  it('reads back every string, number, boolean, array and hash it writes', () => {
    const pipeline: LogstashPipeline = {
      input: [{ plugin: 'beats', settings: { port: 5044, ssl_enabled: false } }],
      filter: [
        { plugin: 'mutate', settings: { remove_field: tricky, add_field: { 'with "quote"': 'x\\y', nested: [1, -2.5, true] } } },
        { plugin: 'drop', settings: {} },
      ],
      output: [{ plugin: 'stdout', settings: { codec: 'rubydebug', empty: {}, none: [] } }],
    };
    expect(parsePipeline(renderLogstashPipeline(pipeline))).toEqual(pipeline);
  });

  it.each(tricky)('round-trips the string %j', (text) => {
    const rendered = renderLogstashPipeline({ input: [], filter: [], output: [{ plugin: 'x', settings: { value: text } }] });
    expect(parsePipeline(rendered).output[0]!.settings.value).toBe(text);
  });

  it('escapes quotes, backslashes and control characters on one line', () => {
    expect(logstashString('say "hi" \\ bye\n')).toBe('"say \\"hi\\" \\\\ bye\\n"');
  });

  it('refuses what Logstash cannot read: a trailing backslash, odd names, non-decimal numbers', () => {
    expect(() => logstashString('C:\\')).toThrow(/end with a backslash/);
    expect(() => renderLogstashPipeline({ input: [{ plugin: 'bad name', settings: {} }], filter: [], output: [] })).toThrow(/bare name/);
    expect(() => renderLogstashPipeline({ input: [{ plugin: 'x', settings: { 'a b': 1 } }], filter: [], output: [] })).toThrow(/bare name/);
    expect(() => renderLogstashPipeline({ input: [{ plugin: 'x', settings: { n: Infinity } }], filter: [], output: [] })).toThrow(/number/);
    expect(() => renderLogstashPipeline({ input: [{ plugin: 'x', settings: { n: 1e21 } }], filter: [], output: [] })).toThrow(/number/);
  });

  it('leaves out undefined settings and empty sections', () => {
    expect(renderLogstashPipeline({ input: [{ plugin: 'beats', settings: { port: 5044, user: undefined } }], filter: [], output: [] })).toBe(
      'input {\n  beats {\n    port => 5044\n  }\n}\n',
    );
  });
});
