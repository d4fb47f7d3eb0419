/**
 * Values the Kubernetes API server or a component would refuse (or mis-handle) are refused by the
 * schema, each located at its file:line:col and key path; the values they would accept still pass.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/main.js';
import { loadValues } from '../../src/values/load.js';
import { issuesOf } from '../support/values-issues.js';

/** Loads values that must be valid. */
function valid(text: string, sets: string[] = []) {
  return loadValues({ files: [{ name: 'values.yaml', text }], sets }).values;
}

/** [case, values YAML, key path of the issue, part of its message, location]. */
type Case = [string, string, string, string, string?];

function expectRejected([, text, path, message, location]: Case): void {
  const issues = issuesOf(text);
  const issue = issues.find((i) => i.path === path);
  expect(issue, `no issue at ${path}: ${JSON.stringify(issues)}`).toBeDefined();
  expect(issue!.message).toContain(message);
  if (location) expect(issue!.location).toBe(location);
  else expect(issue!.location).toMatch(/^values\.yaml:\d+:\d+$/);
}

describe('quantities', () => {
  it.each<Case>([
    ['a size of 1e400 (a YAML number)', 'redis: {persistence: {size: "1e400"}}', 'redis.persistence.size', 'at most 8Ei', 'values.yaml:1:29'],
    ['a memory of 1e400 (maxmemory Infinity)', 'redis: {resources: {requests: {cpu: 1, memory: "1e400"}}}', 'redis.resources.requests.memory', 'at most 8Ei'],
    ['a size of 1e400 as a bare YAML number (Infinity)', 'redis: {persistence: {size: 1e400}}', 'redis.persistence.size', 'Infinity', 'values.yaml:1:29'],
    ['a memory of 1e400 as a bare YAML number', 'redis: {resources: {requests: {cpu: 1, memory: 1e400}}}', 'redis.resources.requests.memory', 'Infinity'],
    ['a latency bucket of 1e400', 'traefik: {latencyBuckets: [1, 1e400]}', 'traefik.latencyBuckets[1]', 'Infinity'],
    ['a size above 8Ei', 'postgresql: {persistence: {size: 9Ei}}', 'postgresql.persistence.size', 'at most 8Ei'],
    ['a zero size', 'prometheus: {persistence: {size: 0}}', 'prometheus.persistence.size', 'above 0'],
    ['a zero size written 0Gi', 'prometheus: {storage: {size: 0Gi}}', 'prometheus.storage.size', 'above 0'],
    ['a negative size', 'grafana: {persistence: {size: -5Gi}}', 'grafana.persistence.size', 'above 0'],
    ['a zero CPU request', 'kibana: {resources: {requests: {cpu: 0, memory: 1Gi}}}', 'kibana.resources.requests.cpu', 'above 0'],
    ['a negative memory limit', 'kibana: {resources: {limits: {memory: -1Gi}}}', 'kibana.resources.limits.memory', 'above 0'],
    ['a zero heap', 'elasticsearch: {heapSize: 0}', 'elasticsearch.heapSize', 'above 0'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('rejects 1e400 given with --set', () => {
    const [issue] = issuesOf('', ['redis.persistence.size=1e400']);
    expect(issue).toMatchObject({ path: 'redis.persistence.size' });
    expect(issue!.location).toContain('--set');
    expect(issue!.message).toContain('at most 8Ei');
  });

  it('accepts 8Ei, 1e3, 500m and a bare number', () => {
    const v = valid('redis: {persistence: {size: 8Ei}, resources: {requests: {cpu: 500m, memory: 1e3}, limits: {memory: 2000}}}');
    expect(v.redis.persistence.size).toBe('8Ei');
    expect(v.redis.resources.limits.memory).toBe('2000');
  });
});

describe('durations', () => {
  it.each<Case>([
    ['a retention beyond Prometheus\' range', 'prometheus: {retention: 99999999999y}', 'prometheus.retention', "out of Prometheus' range", 'values.yaml:1:25'],
    ['293 years', 'prometheus: {retention: 293y}', 'prometheus.retention', "out of Prometheus' range"],
    ['106752 days', 'alerting: {for: 106752d}', 'alerting.for', "out of Prometheus' range"],
    ['a zero retention', 'prometheus: {retention: 0s}', 'prometheus.retention', 'above 0'],
    ['a zero scrape interval', 'prometheus: {scrapeInterval: 0m}', 'prometheus.scrapeInterval', 'above 0'],
    ['a zero group interval (Alertmanager: cannot be zero)', 'alertmanager: {route: {groupInterval: 0s}}', 'alertmanager.route.groupInterval', 'above 0'],
    ['a zero repeat interval', 'alertmanager: {route: {repeatInterval: 0h}}', 'alertmanager.route.repeatInterval', 'above 0'],
    ['a zero self-healing window', 'selfHealing: {limits: {window: 0s}}', 'selfHealing.limits.window', 'above 0'],
    ['an empty duration', 'alerting: {for: ""}', 'alerting.for', 'empty string'],
    ['a Go-style duration', 'prometheus: {retention: 1.5h}', 'prometheus.retention', 'Prometheus duration'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('accepts 292y, 106751d, a zero group wait and a zero for', () => {
    const v = valid('prometheus: {retention: 292y}\nalerting: {for: 0s}\nalertmanager: {route: {groupWait: 0s, repeatInterval: 106751d}}');
    expect(v.prometheus.retention).toBe('292y');
  });
});

describe('cron schedules', () => {
  it.each<Case>([
    ['"every day"', 'postgresql: {maintenance: {schedule: every day}}', 'postgresql.maintenance.schedule', 'five fields', 'values.yaml:1:38'],
    ['an empty schedule', 'postgresql: {maintenance: {schedule: ""}}', 'postgresql.maintenance.schedule', 'empty'],
    ['six fields', 'elasticsearch: {setup: {schedule: "0 0 */6 * * *"}}', 'elasticsearch.setup.schedule', 'found 6'],
    ['minute 60', 'elasticsearch: {setup: {schedule: "60 * * * *"}}', 'elasticsearch.setup.schedule', '60 is outside 0-59'],
    ['hour 24', 'elasticsearch: {setup: {schedule: "0 24 * * *"}}', 'elasticsearch.setup.schedule', '24 is outside 0-23'],
    ['day of month 0', 'elasticsearch: {setup: {schedule: "0 0 0 * *"}}', 'elasticsearch.setup.schedule', '0 is outside 1-31'],
    ['day of week 7', 'elasticsearch: {setup: {schedule: "0 0 * * 7"}}', 'elasticsearch.setup.schedule', '7 is outside 0-6'],
    ['a step of 0', 'elasticsearch: {setup: {schedule: "*/0 * * * *"}}', 'elasticsearch.setup.schedule', 'positive number'],
    ['a reversed range', 'elasticsearch: {setup: {schedule: "0 5-2 * * *"}}', 'elasticsearch.setup.schedule', 'ends before it starts'],
    ['an unknown month name', 'elasticsearch: {setup: {schedule: "0 0 1 foo *"}}', 'elasticsearch.setup.schedule', 'not a number or a name'],
    ['an unknown macro', 'elasticsearch: {setup: {schedule: "@fortnightly"}}', 'elasticsearch.setup.schedule', 'unknown macro'],
    ['a TZ prefix', 'elasticsearch: {setup: {schedule: "TZ=UTC 0 0 * * *"}}', 'elasticsearch.setup.schedule', 'time zone'],
    ['L (Quartz syntax)', 'postgresql: {maintenance: {schedule: "0 0 L * *"}}', 'postgresql.maintenance.schedule', 'not a number'],
  ])('rejects %s', (...c) => expectRejected(c));

  it.each(['30 3 * * *', '*/15 0-6,22 * jan-MAR mon-fri', '5/10 * ? * SUN', '? ? * * *', '0 0 1,15 * 1-5/2', '@daily', '@hourly', '@annually'])('accepts %j', (schedule) => {
    expect(valid(`postgresql: {maintenance: {schedule: "${schedule}"}}`).postgresql.maintenance.schedule).toBe(schedule);
  });
});

describe('labels, annotations and node selectors', () => {
  it.each<Case>([
    ['a label key with a space', 'global: {commonLabels: {"my team": sre}}', 'global.commonLabels.my team', 'not a Kubernetes key', 'values.yaml:1:25'],
    ['a label name of 64 characters', `aiEngine: {podLabels: {${'a'.repeat(64)}: x}}`, `aiEngine.podLabels.${'a'.repeat(64)}`, 'at most 63'],
    ['an upper-case label prefix', 'aiEngine: {podLabels: {Example.com/team: x}}', 'aiEngine.podLabels.Example.com/team', 'not a DNS-1123 subdomain'],
    ['an empty name after the prefix', 'aiEngine: {podLabels: {example.com/: x}}', 'aiEngine.podLabels.example.com/', 'not a Kubernetes key'],
    ['a label value with a space', 'global: {commonLabels: {team: "site reliability"}}', 'global.commonLabels.team', 'expected a label value'],
    ['a label value of 64 characters', `kibana: {podLabels: {team: ${'b'.repeat(64)}}}`, 'kibana.podLabels.team', 'expected a label value'],
    ['a label value ending in -', 'redis: {nodeSelector: {pool: "fast-"}}', 'redis.nodeSelector.pool', 'expected a label value'],
    ['a node selector key with a slash only', 'nodeExporter: {nodeSelector: {"/os": linux}}', 'nodeExporter.nodeSelector./os', 'prefix'],
    ['a chart label in commonLabels', 'global: {commonLabels: {app.kubernetes.io/instance: other}}', 'global.commonLabels.app.kubernetes.io/instance', 'set by the chart'],
    ['a chart label in podLabels', 'redis: {podLabels: {app.kubernetes.io/name: cache}}', 'redis.podLabels.app.kubernetes.io/name', 'set by the chart'],
    ['an annotation key with a colon', 'ingress: {annotations: {"a:b": x}}', 'ingress.annotations.a:b', 'not a Kubernetes key'],
    ['a pod annotation key with a space', 'grafana: {podAnnotations: {"x y": z}}', 'grafana.podAnnotations.x y', 'not a Kubernetes key'],
    ['annotations above 256 KiB', `traefik: {service: {annotations: {big: "${'1'.repeat(262_142)}"}}}`, 'traefik.service.annotations', '256 KiB'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('checks a 256 KiB annotation of letters in linear time (the credential-URL scan was quadratic: minutes)', () => {
    const started = Date.now();
    const v = valid(`traefik: {service: {annotations: {big: "${'x'.repeat(262_141)}"}}}`);
    expect(v.traefik.service.annotations.big).toHaveLength(262_141);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('accepts prefixed keys, dotted names, empty label values and any annotation value', () => {
    const v = valid(
      'global: {commonLabels: {example.com/cost-center: aiops, team: ""}}\n' +
        'redis: {nodeSelector: {node.kubernetes.io/instance-type: m5.large}, podAnnotations: {example.com/note: "any text: with spaces\\nand lines"}}',
    );
    expect(v.global.commonLabels).toEqual({ 'example.com/cost-center': 'aiops', team: '' });
  });
});

describe('tolerations, storage classes and autoscaling', () => {
  it.each<Case>([
    ['operator Exists with a value', 'redis: {tolerations: [{key: k, operator: Exists, value: v}]}', 'redis.tolerations[0].value', 'operator Exists matches any value', 'values.yaml:1:57'],
    ['tolerationSeconds without NoExecute', 'redis: {tolerations: [{key: k, value: v, effect: NoSchedule, tolerationSeconds: 30}]}', 'redis.tolerations[0].tolerationSeconds', 'NoExecute only'],
    ['tolerationSeconds without effect', 'redis: {tolerations: [{operator: Exists, tolerationSeconds: 30}]}', 'redis.tolerations[0].tolerationSeconds', 'NoExecute only'],
    ['no key with operator Equal', 'filebeat: {tolerations: [{value: v}]}', 'filebeat.tolerations[0].operator', 'without key must have operator Exists'],
    ['an unknown effect', 'filebeat: {tolerations: [{operator: Exists, effect: NoRun}]}', 'filebeat.tolerations[0].effect', 'expected one of'],
    ['a key that is not a Kubernetes key', 'filebeat: {tolerations: [{key: "a b", operator: Exists}]}', 'filebeat.tolerations[0].key', 'not a Kubernetes key'],
    ['an upper-case storage class', 'global: {storageClass: Fast_SSD}', 'global.storageClass', 'StorageClass name'],
    ['a storage class with a space', 'postgresql: {persistence: {storageClass: "fast ssd"}}', 'postgresql.persistence.storageClass', 'StorageClass name'],
    ['a storage class in the seed spelling', 'prometheus: {storage: {storageClass: "gp3;"}}', 'prometheus.storage.storageClass', 'StorageClass name'],
    ['a CPU target of 0', 'aiEngine: {autoscaling: {targetCPUUtilizationPercentage: 0}}', 'aiEngine.autoscaling.targetCPUUtilizationPercentage', 'expected a number at least 1, found number 0'],
    ['a memory target of 0', 'apiGateway: {autoscaling: {targetMemoryUtilizationPercentage: 0}}', 'apiGateway.autoscaling.targetMemoryUtilizationPercentage', 'expected a number at least 1'],
    ['a fractional target', 'aiEngine: {autoscaling: {targetCPUUtilizationPercentage: 70.5}}', 'aiEngine.autoscaling.targetCPUUtilizationPercentage', 'expected int, found number 70.5'],
    ['a target of 5000 %', 'logstash: {autoscaling: {targetCPUUtilizationPercentage: 5000}}', 'logstash.autoscaling.targetCPUUtilizationPercentage', 'expected a number at most 1000'],
    ['replicas beyond int32', 'kibana: {replicas: 3000000000}', 'kibana.replicas', 'at most'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('accepts an Exists toleration without key, a NoExecute one with seconds, a storage class with dots and a target of 150 %', () => {
    const v = valid(
      'redis: {tolerations: [{operator: Exists}, {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]}\n' +
        'global: {storageClass: ebs.csi.aws.com}\naiEngine: {autoscaling: {targetCPUUtilizationPercentage: 150}}',
    );
    expect(v.redis.tolerations).toHaveLength(2);
  });
});

describe('Ingress', () => {
  it.each<Case>([
    ['a path with //', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "/api//v1"}]}]}', 'ingress.hosts[0].paths[0].path', 'must not contain "//"'],
    ['a path with /../', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "/a/../b"}]}]}', 'ingress.hosts[0].paths[0].path', 'must not contain "/../"'],
    ['a path ending in /..', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "/a/.."}]}]}', 'ingress.hosts[0].paths[0].path', 'must not end with "/.."'],
    ['a path with %2F', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "/a%2Fb"}]}]}', 'ingress.hosts[0].paths[0].path', 'must not contain "%2F"'],
    ['a path with %2f', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "/a%2fb", pathType: ImplementationSpecific}]}]}', 'ingress.hosts[0].paths[0].path', '%2f'],
    ['a path with a query', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "/a?b=1"}]}]}', 'ingress.hosts[0].paths[0].path', '"?"'],
    ['a relative path', 'ingress: {hosts: [{host: a.example.com, paths: [{path: "api"}]}]}', 'ingress.hosts[0].paths[0].path', 'starting with "/"'],
    ['an IPv4 address as host', 'ingress: {hosts: [{host: 10.0.0.1}]}', 'ingress.hosts[0].host', 'IP address', 'values.yaml:1:26'],
    ['an IP address as TLS host', 'ingress: {tls: [{secretName: tls, hosts: [192.168.1.10]}]}', 'ingress.tls[0].hosts[0]', 'IP address'],
    ['a wildcard first host (the external URL)', 'ingress: {hosts: [{host: "*.example.com"}, {host: a.example.com}]}', 'ingress.hosts[0].host', 'external URL'],
    ['a host label of 64 characters', `ingress: {hosts: [{host: ${'a'.repeat(64)}.example.com}]}`, 'ingress.hosts[0].host', 'DNS name'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('accepts a wildcard host after a concrete first host, and a wildcard first host while the Ingress is off', () => {
    expect(valid('ingress: {hosts: [{host: a.example.com}, {host: "*.example.com", paths: [{path: /v1.2/x..y}]}]}').ingress.hosts).toHaveLength(2);
    expect(valid('ingress: {enabled: false, hosts: [{host: "*.example.com"}]}').ingress.enabled).toBe(false);
  });
});

describe('Alertmanager', () => {
  it.each<Case>([
    ['a groupBy name with -', 'alertmanager: {route: {groupBy: [alertname, "k8s-app"]}}', 'alertmanager.route.groupBy[1]', 'Prometheus label name', 'values.yaml:1:45'],
    ['a groupBy name starting with a digit', 'alertmanager: {route: {groupBy: ["1x"]}}', 'alertmanager.route.groupBy[0]', 'Prometheus label name'],
    ['a duplicated groupBy name', 'alertmanager: {route: {groupBy: [alertname, alertname]}}', 'alertmanager.route.groupBy[1]', 'listed twice'],
    ['"..." with other names', 'alertmanager: {route: {groupBy: [alertname, "..."]}}', 'alertmanager.route.groupBy[1]', 'only entry'],
    ['{{ in the Slack channel', 'alertmanager: {receivers: {slack: {channel: "#ops-{{ .Status }}"}}}', 'alertmanager.receivers.slack.channel', 'Go template'],
    ['{{ in the email recipient', 'alertmanager: {receivers: {email: {to: "{{x}}@example.com"}}}', 'alertmanager.receivers.email.to', 'Go template'],
    ['{{ in the email sender', 'alertmanager: {receivers: {email: {from: "a{{b"}}}', 'alertmanager.receivers.email.from', 'Go template'],
    ['a line break in the email recipient', 'alertmanager: {receivers: {email: {to: "a@example.com\\nBcc: b@example.com"}}}', 'alertmanager.receivers.email.to', 'line break'],
    ['a recipient that is not an address', 'alertmanager: {receivers: {email: {to: "ops@example.com, on-call team"}}}', 'alertmanager.receivers.email.to', '"on-call team" is not an email address'],
    ['two senders', 'alertmanager: {receivers: {email: {from: "a@example.com, b@example.com"}}}', 'alertmanager.receivers.email.from', 'not an email address'],
    ['a line break in the SMTP user', 'alertmanager: {receivers: {email: {username: "a\\nb"}}}', 'alertmanager.receivers.email.username', 'line break'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('accepts several recipients, named addresses and empty ones', () => {
    const v = valid('alertmanager: {receivers: {email: {to: "a@example.com, Ops Team <ops@example.com>", from: "AIOps <aiops@example.com>"}}}');
    expect(v.alertmanager.receivers.email.to).toBe('a@example.com, Ops Team <ops@example.com>');
  });

  it('accepts "..." alone and label names with underscores', () => {
    expect(valid('alertmanager: {route: {groupBy: ["..."]}}').alertmanager.route.groupBy).toEqual(['...']);
    expect(valid('alertmanager: {route: {groupBy: [_x, job_name]}}').alertmanager.route.groupBy).toEqual(['_x', 'job_name']);
  });
});

describe('one-line values and passwords', () => {
  it.each<Case>([
    ['a Grafana admin user with a line break', 'grafana: {adminUser: "admin\\n[security]"}', 'grafana.adminUser', 'line break', 'values.yaml:1:22'],
    ['a Grafana admin user with a carriage return', 'grafana: {adminUser: "admin\\r"}', 'grafana.adminUser', 'carriage return'],
    ['a Redis password with a line break', 'redis: {auth: {password: "pass\\nword"}}', 'redis.auth.password', 'line break'],
    ['a Redis password with a NUL', 'redis: {auth: {password: "pass\\0word"}}', 'redis.auth.password', 'U+0000'],
    ['an Elasticsearch password with a tab', 'elasticsearch: {auth: {password: "secret\\tword"}}', 'elasticsearch.auth.password', 'a tab'],
    ['a logstash_writer password with DEL', 'elasticsearch: {auth: {logstashPassword: "secret\\x7fword"}}', 'elasticsearch.auth.logstashPassword', 'U+007F'],
    ['a vault path with a line break', 'secrets: {vaultPath: "secret/aiops\\nx"}', 'secrets.vaultPath', 'line break'],
    ['a webhook URL with a control character', 'alertmanager: {receivers: {webhook: {url: "https://a.example.com/\\x01"}}}', 'alertmanager.receivers.webhook.url', 'http(s) URL'],
    ['a DNS pod selector value with a space', 'networkPolicy: {dns: {podSelector: {k8s-app: "kube dns"}}}', 'networkPolicy.dns.podSelector.k8s-app', 'expected a label value'],
    ['a Kibana key with a line separator', `kibana: {encryptionKeys: {security: "${'k'.repeat(32)}\\u2028"}}`, 'kibana.encryptionKeys.security', 'U+2028'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('never shows the refused password', () => {
    const issues = issuesOf('redis: {auth: {password: "hunter2\\nsecret"}}');
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('accepts passwords with quotes, $, backslashes and spaces', () => {
    expect(valid(`redis: {auth: {password: "a 'b' \\"c\\" $d \\\\e"}}`).redis.auth.password).toBe(`a 'b' "c" $d \\e`);
  });
});

describe('component limits', () => {
  it.each<Case>([
    ['nodeExporter.port 80 (no NET_BIND_SERVICE)', 'nodeExporter: {port: 80}', 'nodeExporter.port', 'at least 1024', 'values.yaml:1:22'],
    ['nodeExporter.port 1023', 'nodeExporter: {port: 1023}', 'nodeExporter.port', 'at least 1024'],
    ['unsorted latency buckets', 'traefik: {latencyBuckets: [0.1, 5, 1.2, 30]}', 'traefik.latencyBuckets[2]', 'out of order', 'values.yaml:1:36'],
    ['duplicate latency buckets', 'traefik: {latencyBuckets: [0.1, 1, 1, 30]}', 'traefik.latencyBuckets[2]', 'a duplicate'],
    ['username postgres with a second password', 'postgresql: {auth: {username: postgres, password: one-password, postgresPassword: another}}', 'postgresql.auth.postgresPassword', 'one password'],
    ['max_connections above PostgreSQL\'s limit', 'postgresql: {maxConnections: 300000}', 'postgresql.maxConnections', 'at most 262143'],
    ['a Redis Cluster of 2000 nodes', 'redis: {cluster: {enabled: true, nodes: 2000}}', 'redis.cluster.nodes', 'at most 1000'],
    ['an ExternalSecret refresh beyond a Go duration', 'secrets: {refreshInterval: 99999999999999h}', 'secrets.refreshInterval', 'out of range'],
    ['a retention of 99999999999 days', 'elasticsearch: {retentionDays: 99999999999}', 'elasticsearch.retentionDays', 'at most 36500'],
    ['a cluster domain with a shell command', 'global: {clusterDomain: "x\\"; touch /tmp/PWNED; echo \\""}', 'global.clusterDomain', 'DNS-1123 name', 'values.yaml:1:25'],
    ['a cluster domain with a trailing dot', 'global: {clusterDomain: cluster.local.}', 'global.clusterDomain', 'without a trailing dot'],
    ['an upper-case cluster domain', 'global: {clusterDomain: Cluster.Local}', 'global.clusterDomain', 'DNS-1123 name'],
    ['an image tag with a space', 'redis: {image: {tag: "7.4 bookworm"}}', 'redis.image.tag', 'image tag'],
    ['an upper-case repository', 'redis: {image: {repository: Library/Redis}}', 'redis.image.repository', 'repository path'],
    ['a registry with a scheme', 'redis: {image: {registry: "https://docker.io"}}', 'redis.image.registry', 'host[:port][/path]'],
    ['a global registry with a space', 'global: {imageRegistry: "my registry"}', 'global.imageRegistry', 'host[:port][/path]'],
  ])('rejects %s', (...c) => expectRejected(c));

  it('accepts username postgres with the same or no second password, a mirror registry with a port and path, and clusterDomain corp.internal', () => {
    valid('postgresql: {auth: {username: postgres, password: pw, postgresPassword: pw}}');
    valid('postgresql: {auth: {username: postgres, password: pw}}');
    const v = valid('global: {imageRegistry: "registry.example.com:5000/mirror/", clusterDomain: corp.internal}\nredis: {image: {registry: "[::1]:5000"}}');
    expect(v.global.clusterDomain).toBe('corp.internal');
  });
});

describe('the command line with hostile values', () => {
  /** Runs the CLI in-process into a fresh output folder holding one earlier render. */
  function cli(...argv: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-limits-'));
    const out = join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(join(out, 'aiops-platform.k8s.yaml'), '# earlier render\n');
    let stderr = '';
    try {
      const code = run(['--output', out, ...argv], {}, { stdout: () => undefined, stderr: (t) => (stderr += t) });
      return { code, stderr, files: readdirSync(out), earlier: readFileSync(join(out, 'aiops-platform.k8s.yaml'), 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('exits 2 on a shell command in global.clusterDomain, names the --set flag and renders nothing', () => {
    const pwned = join(tmpdir(), `aiops-PWNED-${process.pid}`);
    const result = cli('--set', `global.clusterDomain=x"; touch ${pwned}; echo "`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('global.clusterDomain');
    expect(result.stderr).toContain('--set');
    expect(result.files).toEqual(['aiops-platform.k8s.yaml']);
    expect(result.earlier).toBe('# earlier render\n');
    expect(existsSync(pwned)).toBe(false);
  });

  it.each([
    ['persistence.size=1e400', 'redis.persistence.size=1e400', 'redis.persistence.size'],
    ['a cron schedule "every day"', 'postgresql.maintenance.schedule=every day', 'postgresql.maintenance.schedule'],
    ['a Grafana admin user with a line break', 'grafana.adminUser=admin\n[x]', 'grafana.adminUser'],
    ['a retention of 99999999999y', 'prometheus.retention=99999999999y', 'prometheus.retention'],
    ['nodeExporter.port=80', 'nodeExporter.port=80', 'nodeExporter.port'],
    ['an HPA target of 0', 'aiEngine.autoscaling.targetCPUUtilizationPercentage=0', 'aiEngine.autoscaling.targetCPUUtilizationPercentage'],
  ])('exits 2 on %s', (_name, set, path) => {
    const result = cli('--set', set.replace('\\n', '\n'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path);
    expect(result.earlier).toBe('# earlier render\n');
  });

  it('exits 2 on a file with several such values, all reported at their lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-limits-file-'));
    const file = join(dir, 'values.yaml');
    writeFileSync(file, 'global:\n  clusterDomain: "a b"\nredis:\n  persistence:\n    size: 0\nalertmanager:\n  route:\n    groupInterval: 0s\n');
    try {
      const result = cli('-f', file);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${file}:2:18`);
      expect(result.stderr).toContain(`${file}:5:11`);
      expect(result.stderr).toContain(`${file}:8:20`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
