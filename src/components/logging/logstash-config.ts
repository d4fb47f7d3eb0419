import { yamlFile } from '../../lib/config-files.js';
import type { Values } from '../../values/schema/index.js';
import type { ElasticsearchConnection } from './connection.js';

/** A value of a Logstash plugin setting: string, number, boolean, array or hash. */
export type LogstashValue = string | number | boolean | readonly LogstashValue[] | LogstashHash;

/** A Logstash hash `{ "key" => value }`. */
export interface LogstashHash {
  readonly [key: string]: LogstashValue;
}

/** One plugin block `name { setting => value … }`; settings in the given order, undefined ones left out. */
export interface LogstashPlugin {
  readonly plugin: string;
  readonly settings: Readonly<Record<string, LogstashValue | undefined>>;
}

/** A pipeline: plugins of its three sections, in order (no conditionals). */
export interface LogstashPipeline {
  readonly input: readonly LogstashPlugin[];
  readonly filter: readonly LogstashPlugin[];
  readonly output: readonly LogstashPlugin[];
}

const NAME = /^[A-Za-z0-9_-]+$/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A double-quoted Logstash string. Backslash, double quote, line feed, carriage return and tab are
 * backslash-escaped, which Logstash reads back only with `config.support_escapes: true` (set by
 * {@link logstashYml}); without it a backslash stays literal and a quote cannot be written at all.
 * A string cannot end with a backslash: the grammar (`'"' ('\"' / !'"' .)* '"'`) takes the
 * escaped backslash and the closing quote for an escaped quote. `${NAME}` stays as it is: Logstash
 * replaces it with the environment variable NAME.
 */
export function logstashString(text: string): string {
  if (text.endsWith('\\')) throw new Error(`Logstash strings cannot end with a backslash: ${JSON.stringify(text)}`);
  return `"${text.replace(/[\\"\n\r\t]/g, (c) => ESCAPES[c]!)}"`;
}

function checkName(name: string, what: string): string {
  if (!NAME.test(name)) throw new Error(`Logstash ${what} "${name}" is not a bare name ([A-Za-z0-9_-]+)`);
  return name;
}

function renderValue(value: LogstashValue): string {
  if (typeof value === 'string') return logstashString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    const text = String(value);
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`Logstash number ${text} cannot be written (finite decimals only)`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(renderValue).join(', ')}]`;
  const entries = Object.entries(value as LogstashHash).map(([k, v]) => `${logstashString(k)} => ${renderValue(v)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(' ')} }`;
}

function renderPlugin(p: LogstashPlugin): string[] {
  const settings = Object.entries(p.settings)
    .filter((entry): entry is [string, LogstashValue] => entry[1] !== undefined)
    .map(([key, value]) => `    ${checkName(key, 'setting')} => ${renderValue(value)}`);
  return [`  ${checkName(p.plugin, 'plugin')} {`, ...settings, '  }'];
}

/**
 * Renders a pipeline in Logstash's config syntax (not YAML): `input { … } filter { … } output { … }`,
 * one setting per line, sections without plugins left out. Strings as {@link logstashString};
 * numbers and booleans bare; arrays `[a, b]`; hashes `{ "k" => v }`.
 */
export function renderLogstashPipeline(pipeline: LogstashPipeline): string {
  const sections = (['input', 'filter', 'output'] as const)
    .filter((section) => pipeline[section].length > 0)
    .map((section) => [`${section} {`, ...pipeline[section].flatMap(renderPlugin), '}'].join('\n'));
  return `${sections.join('\n')}\n`;
}

/** Environment variable holding the `logstash_writer` password (from the Elasticsearch Secret). */
export const LOGSTASH_WRITER_PASSWORD_ENV = 'LOGSTASH_WRITER_PASSWORD';

/**
 * Fields of Beats' own bookkeeping, dropped before indexing: which shipper read a line (agent.*,
 * input.type, ecs.version), where in the file (log.offset, file identity), and `host.name`, which in
 * a pod is the Filebeat pod's name (the node is kubernetes.node.name). Kept: @timestamp, message,
 * stream, log.file.path, kubernetes.*, container.*.
 */
const DROPPED_BEATS_FIELDS = [
  '[agent]',
  '[ecs]',
  '[input]',
  '[host]',
  '[log][offset]',
  '[log][file][device_id]',
  '[log][file][inode]',
  '[log][file][fingerprint]',
] as const;

/**
 * The platform's pipeline: Beats on `beatsPort` → drop Beats bookkeeping → Elasticsearch, daily
 * indices `<prefix>-YYYY.MM.dd`. The index template and ILM policy belong to the Elasticsearch
 * setup Job, so the output manages neither and writes plain indices (no data stream, no ILM
 * rollover alias, which would ignore `index`). With security on, Logstash signs in as
 * `logstash_writer`; the password is `${LOGSTASH_WRITER_PASSWORD}`, expanded by Logstash from the
 * environment, so it never appears in the ConfigMap.
 */
export function logstashPipeline(es: ElasticsearchConnection, beatsPort: number): LogstashPipeline {
  return {
    input: [{ plugin: 'beats', settings: { port: beatsPort } }],
    filter: [{ plugin: 'mutate', settings: { remove_field: [...DROPPED_BEATS_FIELDS] } }],
    output: [
      {
        plugin: 'elasticsearch',
        settings: {
          hosts: [es.url],
          index: `${es.indexPrefix}-%{+YYYY.MM.dd}`,
          manage_template: false,
          ilm_enabled: false,
          data_stream: false,
          user: es.authEnabled ? es.users.logstash : undefined,
          password: es.authEnabled ? `\${${LOGSTASH_WRITER_PASSWORD_ENV}}` : undefined,
        },
      },
    ],
  };
}

/** logstash.yml, as typed flat keys. */
export interface LogstashSettings {
  'api.http.host': string;
  'api.http.port': number;
  'path.data': string;
  'pipeline.ecs_compatibility': 'disabled' | 'v1' | 'v8';
  'config.support_escapes': boolean;
  'config.reload.automatic': boolean;
  'queue.type': 'memory' | 'persisted';
  'log.level': 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  'xpack.monitoring.enabled': boolean;
}

/**
 * logstash.yml: the monitoring API on all interfaces (probes), data on an emptyDir, ECS v8
 * events, string escapes on (see {@link logstashString}), no reload (a config change rolls the
 * pods through their checksum annotation), legacy monitoring off. The in-memory queue: Logstash
 * acknowledges a batch to Filebeat once it is queued, so a pod that dies loses the events it
 * queued but did not index yet (a few batches); a persisted queue would need a volume per pod.
 */
export function logstashYml(logLevel: Values['global']['logLevel'], dataDir: string, apiPort: number): string {
  const settings: LogstashSettings = {
    'api.http.host': '0.0.0.0',
    'api.http.port': apiPort,
    'path.data': dataDir,
    'pipeline.ecs_compatibility': 'v8',
    'config.support_escapes': true,
    'config.reload.automatic': false,
    'queue.type': 'memory',
    'log.level': logLevel,
    'xpack.monitoring.enabled': false,
  };
  return yamlFile(settings);
}
