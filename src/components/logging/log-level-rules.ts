import { LOG_LEVELS, type LogLevel } from '../../core/log-level.js';
import { portableRegex } from '../../lib/portable-regex.js';

/**
 * How the log pipeline decides a line's `log.level`: one table of formats, each saying where its
 * level is written and, per level, what says it. The Logstash pipeline renders it as one
 * `if / else if` chain (logstash-config.ts); the tests run the same table in JavaScript on lines of
 * every format. The first row that holds wins; a line no row holds gets no level.
 *
 * Two kinds of rows:
 * - a field of the line's JSON object (`json`): its value is one of a list of words, compared
 *   exactly (`in`, so pino's numbers compare as their digits and no regular expression is involved);
 * - the line itself (`message`): a regular expression of the portable subset (lib/portable-regex.ts),
 *   anchored at the start of the line and shaped so that it reaches the format's level slot only, so
 *   the words of the text after it never count (`INFO retry after error` is info).
 */

/** Where a format's level is written. */
export type LevelSource = { readonly json: readonly string[] } | 'message';

/** One format of log line. */
export interface LevelFormat {
  /** For people: which programs write it. */
  readonly format: string;
  readonly source: LevelSource;
  /** Per level: the exact values (a `json` source) or one regular expression (a `message` source). */
  readonly levels: Partial<Record<LogLevel, readonly string[] | string>>;
}

/** One row of the chain: the format's test for one level. */
export type LevelRule =
  | { readonly format: string; readonly level: LogLevel; readonly json: readonly string[]; readonly oneOf: readonly string[] }
  | { readonly format: string; readonly level: LogLevel; readonly matches: string };

/**
 * The words of each level in a structured field (a JSON value, logfmt `level=`, a bracketed
 * `[word]`): syslog's, log15's (`eror`, `dbug`, `crit`), zerolog's (`ftl`, `wrn`…), Java's
 * (`severe`); `critical` is fatal as in Python, where FATAL and CRITICAL are one level.
 */
const WORDS: Record<LogLevel, readonly string[]> = {
  fatal: ['fatal', 'panic', 'critical', 'crit', 'emerg', 'emergency', 'alert', 'ftl', 'pnc'],
  error: ['error', 'err', 'eror', 'severe'],
  warn: ['warn', 'warning', 'wrn'],
  info: ['info', 'notice', 'inf'],
  debug: ['debug', 'dbug', 'dbg'],
  trace: ['trace', 'trc'],
};

/** Words that start a plain line, upper case (or any case before a colon): no alert or emerg, too common as text. */
const LEADING_WORDS: Record<LogLevel, readonly string[]> = {
  ...WORDS,
  fatal: ['fatal', 'panic', 'critical', 'crit', 'ftl', 'pnc'],
};

const capitalised = (w: string) => w[0]!.toUpperCase() + w.slice(1);
/** `error` → error, ERROR, Error. */
const anyCase = (words: readonly string[]) => words.flatMap((w) => [w, w.toUpperCase(), capitalised(w)]);
const either = (alternatives: readonly string[]) => `(?:${alternatives.join('|')})`;
const ALL_WORDS = LOG_LEVELS.flatMap((l) => WORDS[l]);

/** pino's (and bunyan's) numeric levels. */
const PINO: Record<LogLevel, string> = { fatal: '60', error: '50', warn: '40', info: '30', debug: '20', trace: '10' };

const perLevel = <T>(f: (level: LogLevel) => T | undefined): Partial<Record<LogLevel, T>> =>
  Object.fromEntries(LOG_LEVELS.flatMap((l) => (f(l) === undefined ? [] : [[l, f(l)]])));

/** An ISO-like date and time: `2026-12-06T12:00:00.123Z`, `2026-12-06 12:00:00,123`, `2026/12/06 12:00:00`, then an optional offset or ` UTC`. */
const DATE_TIME = String.raw`[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2}| UTC| GMT)?`;
/** A time of day alone, as logback's default layout writes it: `12:00:00.123`. */
const TIME = String.raw`[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]{1,9})?`;
/** A bracketed group that is not a level: a timestamp, thread or logger (`[main]`, `[2026-…]`). */
const OTHER_BRACKET = String.raw`\[(?! *${either(anyCase(ALL_WORDS))} *\])[^\]]*\]`;
/** What may come before a plain line's level: a date and time, then bracketed groups that are not levels. */
const LEAD = String.raw`^(?:(?:${DATE_TIME}|${TIME})[ \t]+)?(?:${OTHER_BRACKET}[ \t]*)*`;

/**
 * A logfmt pair before `level=`: `key=value` or `key="quoted \" value"` (an escape is a backslash
 * and a printable ASCII character; the quoted text unrolled, so a missing quote fails in linear
 * time), then blanks.
 */
const LOGFMT_PAIR = String.raw`[A-Za-z0-9_.@/-]+=(?:"[^"\\]*(?:\\[ -~][^"\\]*)*"|[^ \t"]*)[ \t]+`;
/** PostgreSQL's default log_line_prefix `%m [%p] `: `2026-12-06 12:00:00.123 UTC [42] `. */
const POSTGRES_PREFIX = String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)? [A-Za-z0-9+-]+ \[[0-9]+\] `;
/** Redis' `pid:role dd Mon yyyy hh:mm:ss.mmm ` before the level marker (role X sentinel, C child, S replica, M master). */
const REDIS_PREFIX = String.raw`^[0-9]+:[XCSM] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} `;
/** klog/glog's header after the level letter: `mmdd hh:mm:ss.uuuuuu `. */
const KLOG_HEADER = String.raw`[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} `;

/**
 * Elasticsearch's deprecation logger writes `"log.level": "CRITICAL"` for its own level between WARN
 * and ERROR (a deprecated API was called), not a crash: warn in the ECS field.
 */
const ECS_WORDS: Record<LogLevel, readonly string[]> = {
  ...WORDS,
  fatal: WORDS.fatal.filter((w) => w !== 'critical'),
  warn: [...WORDS.warn, 'critical'],
};

/** The JSON fields that carry a level, in order. */
const JSON_LEVEL_FIELDS: readonly { readonly format: string; readonly path: readonly string[]; readonly numbers: boolean; readonly words: Record<LogLevel, readonly string[]> }[] = [
  { format: 'JSON `level` (pino and bunyan, numbers or words; zap, logrus, structlog, log4j JsonLayout, logback encoder)', path: ['level'], numbers: true, words: WORDS },
  { format: 'JSON `log.level` (ECS: Elasticsearch, Beats, log4j EcsLayout; CRITICAL is warn)', path: ['log.level'], numbers: false, words: ECS_WORDS },
  { format: 'JSON `log` → `level` (ECS nested: Kibana)', path: ['log', 'level'], numbers: false, words: WORDS },
  { format: 'JSON `severity` (Google Cloud, OpenTelemetry exporters)', path: ['severity'], numbers: false, words: WORDS },
];

/** The table, in the order the pipeline tests it. */
export const LEVEL_FORMATS: readonly LevelFormat[] = [
  ...JSON_LEVEL_FIELDS.map(({ format, path, numbers, words }) => ({
    format,
    source: { json: path },
    levels: perLevel((l) => [...(numbers ? [PINO[l]] : []), ...anyCase(words[l])]),
  })),
  {
    format: 'klog/glog (Kubernetes components, kube-state-metrics): `E1206 12:00:00.000000 1 file.go:42] …`',
    source: 'message',
    levels: { fatal: `^F${KLOG_HEADER}`, error: `^E${KLOG_HEADER}`, warn: `^W${KLOG_HEADER}`, info: `^I${KLOG_HEADER}` },
  },
  {
    format: 'Redis: `1:M 06 Dec 2026 12:00:00.000 # …` (# warning, * notice, - verbose, . debug)',
    source: 'message',
    levels: { warn: `${REDIS_PREFIX}# `, info: `${REDIS_PREFIX}\\* `, debug: `${REDIS_PREFIX}[-.] ` },
  },
  {
    format: 'PostgreSQL (`%m [%p] ` prefix or none, as psql prints): `… [42] ERROR:  …`',
    source: 'message',
    levels: perLevel((l) => {
      const words = { fatal: ['FATAL', 'PANIC'], error: ['ERROR'], warn: ['WARNING'], info: ['LOG', 'INFO', 'NOTICE'], debug: ['DEBUG[1-5]?'], trace: undefined }[l];
      return words && `^(?:${POSTGRES_PREFIX})?${either(words)}:  `;
    }),
  },
  {
    format: 'Go runtime crash: `panic: …`, `fatal error: …`',
    source: 'message',
    levels: { fatal: '^(?:panic|fatal error): ' },
  },
  {
    format: 'logfmt (Prometheus, Alertmanager, exporters, Grafana, logrus, slog): `… level=error …`, the first level key',
    source: 'message',
    levels: perLevel((l) => `^(?:${LOGFMT_PAIR})*(?:level|lvl)=(?:"${either(anyCase(WORDS[l]))}"|${either(anyCase(WORDS[l]))})(?=[ \\t]|$)`),
  },
  {
    format: 'Python logging `%(asctime)s - %(name)s - %(levelname)s - …`',
    source: 'message',
    levels: perLevel((l) => {
      const words = { fatal: ['CRITICAL'], error: ['ERROR'], warn: ['WARNING'], info: ['INFO'], debug: ['DEBUG'], trace: undefined }[l];
      return words && `^${DATE_TIME} - [^ ]+ - ${either(words)} - `;
    }),
  },
  {
    format:
      'a leading level word after an optional date/time and bracketed groups: `[ERROR]`, `ERROR `, `WARN`, `CRITICAL`, `FATAL`, `PANIC`; ' +
      'log4j/Elasticsearch/Logstash/Kibana plain (`[2026-…][WARN ][o.e.Node] …`), logback, Spring Boot, Traefik, nginx `[error]`, Go log; ' +
      'lower or capitalised only before a colon (`error: …`, winston; `Error: …`, Node.js)',
    source: 'message',
    levels: perLevel((l) =>
      [
        LEAD,
        '(?:',
        String.raw`\[ *${either(anyCase(WORDS[l]))} *\]`,
        `|${either(LEADING_WORDS[l].map((w) => w.toUpperCase()))}(?=[ \\t:!|]|$)`,
        `|${either(LEADING_WORDS[l].flatMap((w) => [w, capitalised(w)]))}:(?=[ \\t]|$)`,
        ')',
      ].join(''),
    ),
  },
];

/** The table as the chain's rows, in order; every pattern checked against the portable subset. */
export function levelRules(formats: readonly LevelFormat[] = LEVEL_FORMATS): LevelRule[] {
  return formats.flatMap(({ format, source, levels }) =>
    LOG_LEVELS.flatMap((level): LevelRule[] => {
      const test = levels[level];
      if (test === undefined) return [];
      if (source === 'message') {
        if (typeof test !== 'string') throw new Error(`${format}: a message format needs one regular expression per level`);
        return [{ format, level, matches: portableRegex(test) }];
      }
      if (typeof test === 'string' || test.length < 2) throw new Error(`${format}: a JSON format needs at least two exact values per level`);
      return [{ format, level, json: source.json, oneOf: test }];
    }),
  );
}

/**
 * The gate of the JSON parse: a line that starts with `{` and ends with `}` (blanks around). Lines
 * that fail to parse keep going through the message rows (`skip_on_invalid_json`).
 */
export const JSON_LINE = portableRegex(String.raw`^[ \t]*\{[^\n]*\}[ \t\r]*$`);
