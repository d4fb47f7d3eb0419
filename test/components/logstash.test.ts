import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { levelRules } from '../../src/components/logging/log-level-rules.js';
import {
  logLevelSteps,
  logstashPipeline,
  logstashString,
  renderLogstashPipeline,
  type LogstashCondition,
  type LogstashConditional,
  type LogstashPipeline,
  type LogstashPlugin,
} from '../../src/components/logging/logstash-config.js';
import { Logstash, type LogstashConnection } from '../../src/components/logging/logstash.js';
import { renderConstruct, type ConstructRender } from '../support/construct.js';
import { assertValidK8sObjects } from '../support/k8s-validate.js';
import { ES_HOST, sampleElasticsearch } from '../support/connections.js';
import { parsePipeline } from '../support/logstash-pipeline.js';
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

/** The pipeline's input, its first filter (Beats bookkeeping dropped) and its output; the level steps in between (log-levels.test.ts). */
const HEAD = String.raw`input {
  beats {
    port => 5044
  }
}
filter {
  mutate {
    remove_field => ["[agent]", "[ecs]", "[input]", "[host]", "[log][offset]", "[log][file][device_id]", "[log][file][inode]", "[log][file][fingerprint]"]
  }
  if ![log][level] {
    if [message] =~ "^[ \\t]*\\{[^\\n]*\\}[ \\t\\r]*$" {
      json {
        source => "message"
        target => "[@metadata][json_line]"
        skip_on_invalid_json => true
      }
    }
    if [@metadata][json_line][level] in ["60", "fatal", "FATAL", "Fatal", `;
const TAIL = `
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
    const text: string = configMap(defaults).data['logstash.conf'];
    expect(text.startsWith(HEAD)).toBe(true);
    expect(text.endsWith(TAIL)).toBe(true);
    expect(parsePipeline(text)).toEqual(logstashPipeline(ES, 5044));
  });

  it('adds log.level in one if / else if chain of the level table, after the JSON parse of JSON lines, only to events without one', () => {
    const text: string = configMap(defaults).data['logstash.conf'];
    const rules = levelRules();
    const [drop, levels, ...rest] = parsePipeline(text).filter;
    expect(rest).toEqual([]);
    expect(drop).toMatchObject({ plugin: 'mutate' });
    expect(levels).toEqual(logLevelSteps()[0]);
    const chain = (levels as LogstashConditional).branches[0]!.then[1] as LogstashConditional;
    expect(chain.otherwise).toBeUndefined();
    expect(chain.branches).toHaveLength(rules.length);
    chain.branches.forEach((branch, i) => {
      const rule = rules[i]!;
      expect(branch.when).toEqual('matches' in rule ? { field: ['message'], matches: rule.matches } : { field: ['@metadata', 'json_line', ...rule.json], oneOf: rule.oneOf });
      expect(branch.then).toEqual([{ plugin: 'mutate', settings: { add_field: { '[log][level]': rule.level } } }]);
    });
    expect(text.match(/^ {4}\} else if /gm)).toHaveLength(rules.length - 1);
    expect(text.match(/add_field => \{ "\[log\]\[level\]" => "(fatal|error|warn|info|debug|trace)" \}/g)).toHaveLength(rules.length);
    // Regular expressions are Logstash strings: backslashes and quotes escaped by logstashString, read back as written.
    expect(text).toContain('    } else if [message] =~ "^E[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{6} " {\n      mutate {\n        add_field => { "[log][level]" => "error" }\n      }\n');
    expect(text).toContain(String.raw`=(?:\"[^\"\\\\]*(?:\\\\[ -~][^\"\\\\]*)*\"|[^ \\t\"]*)[ \\t]+)*(?:level|lvl)=`);
    expect(text).toContain('    } else if [@metadata][json_line][log][level] in ["error", "ERROR", "Error", "err", "ERR", "Err", "eror", "EROR", "Eror", "severe", "SEVERE", "Severe"] {');
    expect(text).toContain('    } else if [@metadata][json_line][log.level] in [');
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
    // The development default is 768Mi: half of it.
    expect(env(defaults, 'LS_JAVA_OPTS').value).toBe('-Xms384m -Xmx384m');
    expect(env(production, 'LS_JAVA_OPTS').value).toBe('-Xms1024m -Xmx1024m');
    expect(env(render('logstash: {heapSize: 512Mi}'), 'LS_JAVA_OPTS').value).toBe('-Xms512m -Xmx512m');
    expect(env(render('logstash: {resources: {requests: {cpu: 1, memory: 3Gi}}}'), 'LS_JAVA_OPTS').value).toBe('-Xms1536m -Xmx1536m');
    expect(() => render('logstash: {heapSize: 768Mi}')).toThrow(/heapSize 768Mi is not below the memory limit 768Mi/);
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
    expect((parsePipeline(rendered).output[0] as LogstashPlugin).settings.value).toBe(text);
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

  it('writes conditionals (if / else if / else, nested; ![a], [a] =~ "re" as a Logstash string, [a] in [list]) and reads them back', () => {
    const pipeline: LogstashPipeline = {
      input: [],
      filter: [
        {
          branches: [
            {
              when: { absent: ['log', 'level'] },
              then: [
                {
                  branches: [
                    { when: { field: ['message'], matches: String.raw`^"a\\b"/c` }, then: [{ plugin: 'drop', settings: {} }] },
                    { when: { field: ['@metadata', 'j', 'log.level'], oneOf: ['x "y"', 'z'] }, then: [] },
                  ],
                  otherwise: [{ plugin: 'mutate', settings: { add_field: { '[a]': 'b' } } }],
                },
              ],
            },
          ],
        },
      ],
      output: [],
    };
    const text = renderLogstashPipeline(pipeline);
    expect(text).toBe(String.raw`filter {
  if ![log][level] {
    if [message] =~ "^\"a\\\\b\"/c" {
      drop {
      }
    } else if [@metadata][j][log.level] in ["x \"y\"", "z"] {
    } else {
      mutate {
        add_field => { "[a]" => "b" }
      }
    }
  }
}
`);
    expect(parsePipeline(text)).toEqual(pipeline);
  });

  it('refuses conditions Logstash or the tests could read otherwise: odd field parts, a list of one, a regular expression outside the portable subset', () => {
    const filter = (when: LogstashCondition) => renderLogstashPipeline({ input: [], filter: [{ branches: [{ when, then: [] }] }], output: [] });
    expect(() => filter({ absent: ['a]['] })).toThrow(/field reference part/);
    expect(() => filter({ absent: ['a,b'] })).toThrow(/field reference part/);
    expect(() => filter({ absent: [] })).toThrow(/no part/);
    expect(() => filter({ field: ['level'], oneOf: ['error'] })).toThrow(/two strings at least/);
    expect(() => filter({ field: ['message'], matches: String.raw`\bERROR` })).toThrow(/portable subset/);
    expect(() => filter({ field: ['message'], matches: 'error\\' })).toThrow(/portable subset/);
    expect(() => renderLogstashPipeline({ input: [], filter: [{ branches: [] }], output: [] })).toThrow(/no branch/);
  });

  it('leaves out undefined settings and empty sections', () => {
    expect(renderLogstashPipeline({ input: [{ plugin: 'beats', settings: { port: 5044, user: undefined } }], filter: [], output: [] })).toBe(
      'input {\n  beats {\n    port => 5044\n  }\n}\n',
    );
  });
});
