import { LOG_LEVEL_PATH } from '../../core/log-level.js';
import { yamlFile } from '../../lib/config-files.js';
import { portableRegex } from '../../lib/portable-regex.js';
import type { Values } from '../../values/schema/index.js';
import type { ElasticsearchConnection } from './connection.js';
import { JSON_LINE, levelRules, type LevelRule } from './log-level-rules.js';

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

/** A field reference `[a][b]`, as its path. */
export type LogstashField = readonly string[];

/**
 * The condition of an `if`: the field is absent or falsy (`![a]`); its string value matches a
 * regular expression of the portable subset (`[a] =~ "re"`, see lib/portable-regex.ts); its value,
 * as a string, is one of at least two strings (`[a] in ["x", "y"]`).
 */
export type LogstashCondition =
  | { readonly absent: LogstashField }
  | { readonly field: LogstashField; readonly matches: string }
  | { readonly field: LogstashField; readonly oneOf: readonly string[] };

/** `if … { } else if … { } else { }`: the first branch whose condition holds runs. */
export interface LogstashConditional {
  readonly branches: readonly { readonly when: LogstashCondition; readonly then: readonly LogstashStep[] }[];
  readonly otherwise?: readonly LogstashStep[];
}

/** A step of a section: a plugin or a conditional. */
export type LogstashStep = LogstashPlugin | LogstashConditional;

/** A pipeline: the steps of its three sections, in order. */
export interface LogstashPipeline {
  readonly input: readonly LogstashStep[];
  readonly filter: readonly LogstashStep[];
  readonly output: readonly LogstashStep[];
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

const FIELD_PART = /^[A-Za-z0-9_@.-]+$/;

/** A field reference `[a][b]`; each part [A-Za-z0-9_@.-]+ (the grammar allows anything but `[ ] ,`; dots are literal). */
export function logstashField(path: LogstashField): string {
  if (path.length === 0) throw new Error('Logstash field reference has no part');
  for (const part of path) if (!FIELD_PART.test(part)) throw new Error(`Logstash field reference part "${part}" is not [A-Za-z0-9_@.-]+`);
  return path.map((part) => `[${part}]`).join('');
}

function renderCondition(c: LogstashCondition): string {
  if ('absent' in c) return `!${logstashField(c.absent)}`;
  if ('matches' in c) return `${logstashField(c.field)} =~ ${logstashString(portableRegex(c.matches))}`;
  // `[a] in ["x"]` reads `["x"]` as a field reference (the grammar's selector wins: elastic/logstash#9932): two at least.
  if (c.oneOf.length < 2) throw new Error(`Logstash "in" needs two strings at least, got ${JSON.stringify(c.oneOf)}`);
  return `${logstashField(c.field)} in ${renderValue(c.oneOf)}`;
}

const indent = (depth: number) => '  '.repeat(depth);

function renderPlugin(p: LogstashPlugin, depth: number): string[] {
  const settings = Object.entries(p.settings)
    .filter((entry): entry is [string, LogstashValue] => entry[1] !== undefined)
    .map(([key, value]) => `${indent(depth + 1)}${checkName(key, 'setting')} => ${renderValue(value)}`);
  return [`${indent(depth)}${checkName(p.plugin, 'plugin')} {`, ...settings, `${indent(depth)}}`];
}

function renderConditional(c: LogstashConditional, depth: number): string[] {
  if (c.branches.length === 0) throw new Error('Logstash conditional has no branch');
  const lines: string[] = [];
  c.branches.forEach((branch, i) => {
    const opening = `${i === 0 ? 'if' : '} else if'} ${renderCondition(branch.when)} {`;
    lines.push(`${indent(depth)}${opening}`, ...branch.then.flatMap((step) => renderStep(step, depth + 1)));
  });
  if (c.otherwise) lines.push(`${indent(depth)}} else {`, ...c.otherwise.flatMap((step) => renderStep(step, depth + 1)));
  return [...lines, `${indent(depth)}}`];
}

function renderStep(step: LogstashStep, depth: number): string[] {
  return 'plugin' in step ? renderPlugin(step, depth) : renderConditional(step, depth);
}

/**
 * Renders a pipeline in Logstash's config syntax (not YAML): `input { … } filter { … } output { … }`,
 * one setting per line, sections without steps left out. Strings as {@link logstashString};
 * numbers and booleans bare; arrays `[a, b]`; hashes `{ "k" => v }`; field references as
 * {@link logstashField}; conditionals `if … { } else if … { } else { }`, whose regular expressions
 * are strings (`=~ "re"`: Logstash compiles the string, after its escapes, as a Ruby regular
 * expression), checked against the portable subset.
 */
export function renderLogstashPipeline(pipeline: LogstashPipeline): string {
  const sections = (['input', 'filter', 'output'] as const)
    .filter((section) => pipeline[section].length > 0)
    .map((section) => [`${section} {`, ...pipeline[section].flatMap((step) => renderStep(step, 1)), '}'].join('\n'));
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

/** Where the JSON object of a JSON line is parsed to: `@metadata` is never indexed. */
const JSON_LINE_TARGET = ['@metadata', 'json_line'] as const;

/**
 * The `log.level` of every event whose line says it, from the table of log-level-rules.ts, for
 * events without one: a line that looks like a JSON object is parsed into `[@metadata][json_line]`
 * (a line that does not parse stays as it is: `skip_on_invalid_json`, no tag), then one `if / else
 * if` chain of the table's rows, in order, adds `[log][level]` for the first that holds. The
 * message and every other field stay as they were; a line no row holds gets no level.
 */
export function logLevelSteps(rules: readonly LevelRule[] = levelRules()): LogstashStep[] {
  const level = logstashField(LOG_LEVEL_PATH);
  return [
    {
      branches: [
        {
          when: { absent: LOG_LEVEL_PATH },
          then: [
            {
              branches: [
                {
                  when: { field: ['message'], matches: JSON_LINE },
                  then: [{ plugin: 'json', settings: { source: 'message', target: logstashField(JSON_LINE_TARGET), skip_on_invalid_json: true } }],
                },
              ],
            },
            {
              branches: rules.map((rule) => ({
                when: 'matches' in rule ? { field: ['message'], matches: rule.matches } : { field: [...JSON_LINE_TARGET, ...rule.json], oneOf: rule.oneOf },
                then: [{ plugin: 'mutate', settings: { add_field: { [level]: rule.level } } }],
              })),
            },
          ],
        },
      ],
    },
  ];
}

/**
 * The platform's pipeline: Beats on `beatsPort` → drop Beats bookkeeping → the log level
 * ({@link logLevelSteps}) → Elasticsearch, daily indices `<prefix>-YYYY.MM.dd`. The index template
 * and ILM policy belong to the Elasticsearch setup Job, so the output manages neither and writes
 * plain indices (no data stream, no ILM rollover alias, which would ignore `index`). With security
 * on, Logstash signs in as `logstash_writer`; the password is `${LOGSTASH_WRITER_PASSWORD}`,
 * expanded by Logstash from the environment, so it never appears in the ConfigMap.
 */
export function logstashPipeline(es: ElasticsearchConnection, beatsPort: number): LogstashPipeline {
  return {
    input: [{ plugin: 'beats', settings: { port: beatsPort } }],
    filter: [{ plugin: 'mutate', settings: { remove_field: [...DROPPED_BEATS_FIELDS] } }, ...logLevelSteps()],
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
