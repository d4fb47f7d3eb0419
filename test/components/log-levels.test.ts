/**
 * The log level of the platform's log pipeline: the table of log-level-rules.ts, rendered into the
 * Logstash pipeline, read back and run in JavaScript (test/support/logstash-pipeline.ts) on a corpus
 * of lines of every format (log-level-corpus.ts) and on our own services' pino lines; the regular
 * expressions checked against the portable subset, and run by Oniguruma with Ruby syntax (Logstash's
 * engine family) on the same lines with the same outcome as in JavaScript.
 *
 * There is no Logstash here: what these tests prove is that the table gives every line its level
 * in JavaScript, that the rendered pipeline says exactly the table (read back as Logstash reads its
 * strings), and that Oniguruma agrees with JavaScript on every pattern and line. Not proved: the
 * json filter's parser (Jackson) agreeing with JSON.parse on odd lines (Jackson ignores text after
 * the first value: the gate takes only lines ending with `}`), and pino levels written as floats
 * (`50.0`, which Logstash compares as "50.0"; pino writes integers).
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LOG_LEVELS } from '../../src/core/log-level.js';
import { JSON_LINE, LEVEL_FORMATS, levelRules } from '../../src/components/logging/log-level-rules.js';
import { Logstash } from '../../src/components/logging/logstash.js';
import { createLogger } from '../../src/services/kit/log.js';
import { renderConstruct } from '../support/construct.js';
import { sampleElasticsearch } from '../support/connections.js';
import { parsePipeline, runFilters, type LogstashEvent } from '../support/logstash-pipeline.js';
import { onigurumaPresent, onigurumaSearch } from '../support/oniguruma.js';
import { find } from '../support/render.js';
import { CORPUS, type CorpusLine } from './log-level-corpus.js';

/** The filter section of the pipeline the Logstash ConfigMap ships, read back. */
const shipped = renderConstruct('', (chart, ctx, values) => new Logstash(chart, 'logstash', { ctx, values: values.logstash, elasticsearch: sampleElasticsearch() }));
const PIPELINE_TEXT: string = find(shipped.objects, 'ConfigMap', 'aiops-platform-logstash').data['logstash.conf'];
const FILTER = parsePipeline(PIPELINE_TEXT).filter;

/** An event as Filebeat sends it (container parser, Kubernetes metadata, Beats bookkeeping). */
const beatsEvent = (message: string): LogstashEvent => ({
  '@timestamp': '2026-12-06T12:00:00.000Z',
  message,
  stream: 'stdout',
  log: { offset: 1234, file: { path: '/var/log/containers/checkout-7d9f8_shop_checkout-0123abcd.log', device_id: 2049, inode: 77 } },
  kubernetes: { namespace: 'shop', pod: { name: 'checkout-7d9f8' }, container: { name: 'checkout' }, node: { name: 'node-1' }, labels: { app: 'checkout' } },
  container: { id: '0123abcd', runtime: 'containerd', image: { name: 'shop/checkout:1.2.3' } },
  agent: { type: 'filebeat', version: '8.15.3' },
  ecs: { version: '8.0.0' },
  input: { type: 'filestream' },
  host: { name: 'aiops-platform-filebeat-x2b9z' },
});

/** The level the shipped pipeline gives `message` (null: none). */
const levelOf = (message: string) => ((runFilters(FILTER, beatsEvent(message)).log as { level?: string }).level ?? null);

const groups = [...new Set(CORPUS.map((c) => c.group))];
const linesOf = (group: string) => CORPUS.filter((c) => c.group === group);
const wrong = (lines: readonly CorpusLine[]) => lines.map((c) => ({ line: c.line, want: c.level, got: levelOf(c.line) })).filter((r) => r.got !== r.want);

describe('the level table', () => {
  const rules = levelRules();

  it('has one row per format and level, in table order, each level an ECS level in lower case', () => {
    expect(rules.length).toBe(LEVEL_FORMATS.reduce((n, f) => n + Object.keys(f.levels).length, 0));
    expect(rules.map((r) => r.format)).toEqual(LEVEL_FORMATS.flatMap((f) => LOG_LEVELS.filter((l) => f.levels[l] !== undefined).map(() => f.format)));
    for (const rule of rules) expect(LOG_LEVELS).toContain(rule.level);
    expect(rules.filter((r) => 'oneOf' in r)).toHaveLength(24);
  });

  it('anchors every line pattern at the start of the line, so the words of the text after the level never count', () => {
    for (const rule of rules) if ('matches' in rule) expect(rule.matches.startsWith('^'), rule.matches).toBe(true);
  });

  it('never gives one JSON value two levels within a field', () => {
    for (const format of LEVEL_FORMATS.filter((f) => f.source !== 'message')) {
      const values = Object.values(format.levels).flat() as string[];
      expect(new Set(values).size, format.format).toBe(values.length);
    }
  });
});

describe('the shipped pipeline on the corpus', () => {
  it.each(groups)('gives every line its level: %s', (group) => {
    expect(linesOf(group).length).toBeGreaterThanOrEqual(5);
    expect(wrong(linesOf(group))).toEqual([]);
  });

  it('counts an info line that mentions an error as info, in every format that has an info level', () => {
    const mentions = CORPUS.filter((c) => c.level === 'info' && /error/i.test(c.line));
    expect(new Set(mentions.map((c) => c.group)).size).toBeGreaterThanOrEqual(9);
    expect(wrong(mentions)).toEqual([]);
  });

  it('gives our own services’ lines their level: the kit logger (level words) and pino defaults (numbers)', () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(...line.split('\n').filter(Boolean)) };
    const kit = createLogger({ service: 'ai-engine', level: 'trace', podName: 'aiops-platform-ai-engine-0', podNamespace: 'aiops-platform', destination });
    const plain = pino({ level: 'trace' }, destination);
    for (const logger of [kit, plain]) {
      logger.trace('polling');
      logger.debug({ query: 'up' }, 'querying Prometheus');
      logger.info({ err: 'none' }, 'retrying after upstream error');
      logger.warn({ ms: 5300 }, 'slow poll');
      logger.error({ err: new Error('connect ECONNREFUSED 127.0.0.1:9090') }, 'poll failed');
      logger.fatal('cannot start');
    }
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatch(/^\{"level":"trace",/);
    expect(lines[6]).toMatch(/^\{"level":10,/);
    expect(lines.map(levelOf)).toEqual([...LOG_LEVELS].reverse().concat([...LOG_LEVELS].reverse()));
  });

  it('keeps the message and every field but the Beats bookkeeping, adding only log.level (the parsed JSON stays in @metadata, never indexed)', () => {
    const line = '{"level":"error","time":"2026-12-06T12:00:00.000Z","service":"checkout","msg":"payment failed","status":502}';
    const event = runFilters(FILTER, beatsEvent(line));
    const { agent, ecs, input, host, ...kept } = beatsEvent(line);
    expect([agent, ecs, input, host].every(Boolean)).toBe(true);
    expect(event).toEqual({
      ...kept,
      log: { file: { path: '/var/log/containers/checkout-7d9f8_shop_checkout-0123abcd.log' }, level: 'error' },
      '@metadata': { json_line: JSON.parse(line) },
    });
    const plain = runFilters(FILTER, beatsEvent('connection error while reading response'));
    expect(plain).toEqual({ ...kept, message: 'connection error while reading response', log: { file: { path: '/var/log/containers/checkout-7d9f8_shop_checkout-0123abcd.log' } } });
  });

  it('leaves an event that already carries log.level as it is', () => {
    const event = beatsEvent('ERROR payment failed');
    (event.log as Record<string, unknown>).level = 'warn';
    expect((runFilters(FILTER, event).log as { level: unknown }).level).toBe('warn');
  });

  it('parses only lines that look like one JSON object, and leaves the others alone without a tag', () => {
    for (const line of ['{"level":"error"} trailing text', '{"level":"error","msg":"truncated', '[{"level":"error"}]']) {
      const event = runFilters(FILTER, beatsEvent(line));
      expect(event['@metadata']).toBeUndefined();
      expect(event.tags).toBeUndefined();
    }
    expect(new RegExp(JSON_LINE).test(' {"a":1}\r')).toBe(true);
  });
});

describe.runIf(onigurumaPresent('the Oniguruma agreement tests'))('Oniguruma (Ruby syntax) and JavaScript', () => {
  const disagreements = (patterns: readonly string[], subjects: readonly string[], matches: boolean[][]) =>
    patterns.flatMap((p, i) => subjects.flatMap((s, j) => (new RegExp(p).test(s) === matches[i]![j] ? [] : [{ pattern: p, subject: s, oniguruma: matches[i]![j] }])));

  it('agree on every line pattern of the table (and the JSON gate) over every line of the corpus', async () => {
    const patterns = [JSON_LINE, ...levelRules().flatMap((r) => ('matches' in r ? [r.matches] : []))];
    const subjects = CORPUS.flatMap((c) => [c.line, `${c.line}\r`, c.line.replace(/ /g, '\u00a0'), `${c.line} 💥`, c.line.replace(/ /g, '💥')]);
    const { version, matches } = await onigurumaSearch(patterns, subjects);
    expect(version).toMatch(/^6\./);
    expect(matches.flat().filter(Boolean).length).toBeGreaterThan(CORPUS.length);
    expect(disagreements(patterns, subjects, matches)).toEqual([]);
  });
});
