/**
 * The AI engine's logs source against a recording fake Elasticsearch on 127.0.0.1: the exact
 * search bodies, basic auth as logs_reader, the index pattern in the path; answers computed from a
 * list of log documents as Elasticsearch would aggregate them → LogErrorSpike and NewLogPattern
 * anomalies; no index, failures, timeouts and backoff without throwing or leaking credentials.
 */
import * as z from 'zod/mini';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/services/kit/config.js';
import { elasticsearchConnection, elasticsearchEnvCheck, elasticsearchEnvShape } from '../../../src/services/ai-engine/sources/elasticsearch-client.js';
import { ElasticsearchLogsSource, type LogsSourceOptions } from '../../../src/services/ai-engine/sources/elasticsearch.js';
import { DEFAULT_ERROR_TERMS, errorLineFilter, parseErrorLines, parseErrorRates } from '../../../src/services/ai-engine/sources/log-queries.js';
import { basicAuth, startFakeElasticsearch, type FakeAnswer, type FakeElasticsearch, type RecordedRequest } from '../../support/fake-elasticsearch.js';

const MIN = 60_000;
/** Minute 0 of the fake's data. */
const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
/** The clock of poll k: 45 s into minute k, so (30 s lag) the last complete minute ends at minute k. */
const at = (minute: number) => T0 + minute * MIN + 45_000;
const PASSWORD = 'r3ader:pä$$ "word"';

/** One indexed log line, as the platform's pipeline writes it (the fields the source reads); `level` is `log.level`, absent when the pipeline found none. */
interface Doc {
  readonly t: number;
  readonly namespace: string;
  readonly service: string;
  readonly message: string;
  readonly level?: string;
}

/** The words of `message` as Elasticsearch's standard analyzer cuts them (lower case; `a.b` and `it's` stay one word). */
const words = (text: string): string[] => [...(text.toLowerCase().match(/[\p{L}\p{N}_]+(?:[.'][\p{L}\p{N}_]+)*/gu) ?? [])];

/** Whether `doc` matches a query made of bool (filter, must_not, should, minimum_should_match), terms and exists on log.level, and match (or) on message. */
function holds(q: any, doc: Doc): boolean {
  if (q.bool) {
    const { filter = [], must = [], must_not = [], should = [] } = q.bool;
    const least = q.bool.minimum_should_match ?? (filter.length + must.length > 0 ? 0 : 1);
    return (
      [...filter, ...must].every((c: any) => holds(c, doc)) &&
      !must_not.some((c: any) => holds(c, doc)) &&
      should.filter((c: any) => holds(c, doc)).length >= Math.min(least, should.length)
    );
  }
  if (q.terms && Object.keys(q.terms).join() === 'log.level') return doc.level !== undefined && q.terms['log.level'].includes(doc.level);
  if (q.exists?.field === 'log.level') return doc.level !== undefined;
  if (q.match?.message?.operator === 'or') return words(q.match.message.query).some((w) => words(doc.message).includes(w));
  throw new Error(`query not modelled: ${JSON.stringify(q)}`);
}

/** Deterministic noise in [0, 1). */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
}

/** `count(minute)` lines of `message(minute, i)` for minutes [from, to), spread over each minute. */
function lines(namespace: string, service: string, from: number, to: number, count: (m: number) => number, message: (m: number, i: number) => string): Doc[] {
  const docs: Doc[] = [];
  for (let m = from; m < to; m++) {
    const n = count(m);
    for (let i = 0; i < n; i++) docs.push({ t: T0 + m * MIN + Math.floor(((i + 0.5) / n) * (MIN - 1)), namespace, service, message: message(m, i) });
  }
  return docs;
}

const range = (body: any) => body.query.bool.filter[0].range['@timestamp'] as { gte: number; lt: number };

/** Elasticsearch's answer to the error-rate search over `docs` (error lines): terms by doc count, zero-filled histograms. */
function aggregationAnswer(body: any, docs: readonly Doc[]): object {
  const { gte, lt } = range(body);
  const step = MIN;
  const inRange = docs.filter((d) => d.t >= gte && d.t < lt);
  const byCount = <T,>(groups: Map<string, T[]>) => [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const group = (ds: readonly Doc[], key: (d: Doc) => string) => {
    const m = new Map<string, Doc[]>();
    for (const d of ds) m.set(key(d), [...(m.get(key(d)) ?? []), d]);
    return m;
  };
  const nsSize = body.aggs.namespaces.terms.size;
  const svcSize = body.aggs.namespaces.aggs.services.terms.size;
  const namespaces = byCount(group(inRange, (d) => d.namespace));
  return {
    took: 7,
    timed_out: false,
    _shards: { total: 2, successful: 2, skipped: 0, failed: 0 },
    hits: { max_score: null, hits: [] },
    aggregations: {
      namespaces: {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: namespaces.slice(nsSize).reduce((s, [, ds]) => s + ds.length, 0),
        buckets: namespaces.slice(0, nsSize).map(([ns, nsDocs]) => {
          const services = byCount(group(nsDocs, (d) => d.service));
          return {
            key: ns,
            doc_count: nsDocs.length,
            services: {
              doc_count_error_upper_bound: 0,
              sum_other_doc_count: services.slice(svcSize).reduce((s, [, ds]) => s + ds.length, 0),
              buckets: services.slice(0, svcSize).map(([svc, svcDocs]) => {
                const buckets = [];
                for (let t = gte; t < lt; t += step) {
                  buckets.push({ key_as_string: new Date(t).toISOString(), key: t, doc_count: svcDocs.filter((d) => d.t >= t && d.t < t + step).length });
                }
                return { key: svc, doc_count: svcDocs.length, per_step: { buckets } };
              }),
            },
          };
        }),
      },
    },
  };
}

/** Elasticsearch's answer to the error-lines search: newest first, `size` hits, `_source` filtered to the fields asked. */
function linesAnswer(body: any, docs: readonly Doc[]): object {
  const { gte, lt } = range(body);
  const hits = docs
    .filter((d) => d.t >= gte && d.t < lt)
    .sort((a, b) => b.t - a.t)
    .slice(0, body.size)
    .map((d, i) => ({
      _index: `aiops-logs-${new Date(d.t).toISOString().slice(0, 10).replaceAll('-', '.')}`,
      _id: `id${i}`,
      _score: null,
      _source: { message: d.message, kubernetes: { namespace: d.namespace, container: { name: d.service } } },
      sort: [d.t],
    }));
  return { took: 3, timed_out: false, _shards: { total: 2, successful: 2, skipped: 0, failed: 0 }, hits: { max_score: null, hits } };
}

/** A fake cluster holding `docs`; answers both searches of the source over the docs the error-line filter (after the time range) matches. */
const cluster = (docs: () => readonly Doc[]) => (r: RecordedRequest): FakeAnswer => {
  const body = JSON.parse(r.body);
  const errors = docs().filter((d) => holds(body.query.bool.filter[1], d));
  return [200, body.size === 0 ? aggregationAnswer(body, errors) : linesAnswer(body, errors)];
};

const INDEX_NOT_FOUND = {
  error: {
    root_cause: [{ type: 'index_not_found_exception', reason: 'no such index [aiops-logs-*]', 'resource.type': 'index_or_alias', 'resource.id': 'aiops-logs-*', index_uuid: '_na_', index: 'aiops-logs-*' }],
    type: 'index_not_found_exception',
    reason: 'no such index [aiops-logs-*]',
    'resource.type': 'index_or_alias',
    'resource.id': 'aiops-logs-*',
    index_uuid: '_na_',
    index: 'aiops-logs-*',
  },
  status: 404,
};

let fake: FakeElasticsearch | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A source on the fake with a settable clock and a recording logger. */
function source(url: string, extra: Partial<LogsSourceOptions> = {}) {
  const clock = { now: at(60) };
  const logged: { level: string; obj: object; msg: string }[] = [];
  const logger = { info: (obj: object, msg: string) => logged.push({ level: 'info', obj, msg }), warn: (obj: object, msg: string) => logged.push({ level: 'warn', obj, msg }) };
  const s = new ElasticsearchLogsSource({
    connection: { url, username: 'logs_reader', password: PASSWORD, indexPattern: 'aiops-logs-*' },
    logger,
    now: () => clock.now,
    ...extra,
  });
  return { s, clock, logged };
}

// Baseline error traffic: checkout 1-3 lines a minute, cart 0-2, search a steady 18-22.
const checkoutMessage = (m: number, i: number) => `ERROR payment call failed: upstream connect error order=${1000 + m * 10 + i} after ${120 + i} ms`;
const baseline = (minutes: number, checkoutCount: (m: number) => number = (m) => 1 + Math.floor(noise(m) * 3)): Doc[] => [
  ...lines('shop', 'checkout', 0, minutes, checkoutCount, checkoutMessage),
  ...lines('shop', 'cart', 0, minutes, (m) => Math.floor(noise(m + 500) * 3), (m, i) => `level=error msg="cart not found" cart=${m * 7 + i}`),
  ...lines('search', 'search-api', 0, minutes, (m) => 18 + Math.floor(noise(m + 900) * 5), (m, i) => `{"level":"error","msg":"query timeout","shard":${i % 4},"took":${300 + m}}`),
];

describe('the searches', () => {
  it('sends the exact error-rate and error-line bodies to /<index pattern>/_search as logs_reader', async () => {
    fake = await startFakeElasticsearch(cluster(() => baseline(61)));
    const { s } = source(fake.url);
    const result = await s.poll();
    expect(result).toEqual({ status: 'ok', anomalies: [] });
    expect(fake.calls()).toEqual(['POST /aiops-logs-*/_search', 'POST /aiops-logs-*/_search']);
    for (const r of fake.requests) expect(r.authorization).toBe(basicAuth('logs_reader', PASSWORD));
    const from = T0;
    const to = T0 + 60 * MIN;
    const timeAndErrors = [
      { range: { '@timestamp': { gte: from, lt: to, format: 'epoch_millis' } } },
      {
        bool: {
          should: [
            { terms: { 'log.level': ['error', 'fatal'] } },
            {
              bool: {
                must_not: [{ exists: { field: 'log.level' } }],
                filter: [{ match: { message: { query: 'error fatal panic critical exception', operator: 'or' } } }],
              },
            },
          ],
          minimum_should_match: 1,
        },
      },
    ];
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({
      size: 0,
      track_total_hits: false,
      query: { bool: { filter: timeAndErrors } },
      aggs: {
        namespaces: {
          terms: { field: 'kubernetes.namespace', size: 10 },
          aggs: {
            services: {
              terms: { field: 'kubernetes.container.name', size: 50 },
              aggs: { per_step: { date_histogram: { field: '@timestamp', fixed_interval: '1m', min_doc_count: 0, extended_bounds: { min: from, max: to - MIN } } } },
            },
          },
        },
      },
    });
    expect(JSON.parse(fake.requests[1]!.body)).toEqual({
      size: 1000,
      track_total_hits: false,
      sort: [{ '@timestamp': { order: 'desc' } }],
      _source: ['message', 'kubernetes.namespace', 'kubernetes.container.name'],
      query: { bool: { filter: timeAndErrors } },
    });
  });

  it('searches the lines of the new minutes only, and nothing when no minute completed since the last poll', async () => {
    fake = await startFakeElasticsearch(cluster(() => baseline(70)));
    const { s, clock } = source(fake.url);
    await s.poll();
    clock.now = at(60) + 10_000;
    expect(await s.poll()).toEqual({ status: 'idle', anomalies: [] });
    expect(fake.requests).toHaveLength(2);
    clock.now = at(62);
    await s.poll();
    const [rates, latest] = fake.requests.slice(2).map((r) => JSON.parse(r.body));
    expect(range(rates)).toEqual({ gte: T0 + 2 * MIN, lt: T0 + 62 * MIN, format: 'epoch_millis' });
    expect(range(latest)).toEqual({ gte: T0 + 60 * MIN, lt: T0 + 62 * MIN, format: 'epoch_millis' });
  });

  it('takes a line as an error line by its parsed level, or by its words when it has no level: an info line that mentions an error is not one', () => {
    const filter = errorLineFilter(DEFAULT_ERROR_TERMS);
    const doc = (message: string, level?: string): Doc => ({ t: T0, namespace: 'shop', service: 'checkout', message, ...(level ? { level } : {}) });
    expect(holds(filter, doc('retrying after upstream error', 'info'))).toBe(false);
    expect(holds(filter, doc('{"level":"warn","msg":"upstream error, retrying"}', 'warn'))).toBe(false);
    expect(holds(filter, doc('ledger write rejected: checksum mismatch', 'error'))).toBe(true);
    expect(holds(filter, doc('cannot open ledger', 'fatal'))).toBe(true);
    // Lines of formats the pipeline cannot read (and lines indexed before it read levels): their words.
    expect(holds(filter, doc('retrying after upstream error'))).toBe(true);
    expect(holds(filter, doc('Exception in thread "main" java.lang.IllegalStateException: ledger closed'))).toBe(true);
    expect(holds(filter, doc('ledger write rejected: checksum mismatch'))).toBe(false);
    // The body says so: the words count only under "no log.level".
    expect(filter).toEqual({
      bool: {
        should: [
          { terms: { 'log.level': ['error', 'fatal'] } },
          { bool: { must_not: [{ exists: { field: 'log.level' } }], filter: [{ match: { message: { query: 'error fatal panic critical exception', operator: 'or' } } }] } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('URL-encodes each part of the index pattern and sends no authorization without a username', async () => {
    fake = await startFakeElasticsearch(() => [200, { hits: { hits: [] } }]);
    const s = new ElasticsearchLogsSource({ connection: { url: `${fake.url}/`.replace(/\/$/, ''), indexPattern: 'remote:aiops-logs-*,aiops-logs-*' }, now: () => at(60) });
    expect((await s.poll()).status).toBe('ok');
    expect(fake.calls()[0]).toBe('POST /remote%3Aaiops-logs-*,aiops-logs-*/_search');
    expect(fake.requests[0]!.authorization).toBeUndefined();
  });
});

describe('error-rate spikes', () => {
  it('reports one LogErrorSpike for the service whose errors spike, none for steady, quiet or noisy-but-usual ones, and resolves it', async () => {
    const SPIKE_FROM = 75;
    const SPIKE_TO = 85;
    const docs = baseline(120, (m) => (m >= SPIKE_FROM && m < SPIKE_TO ? 40 + Math.floor(noise(m) * 10) : 1 + Math.floor(noise(m) * 3)));
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s, clock } = source(fake.url);
    const seen = new Map<number, readonly any[]>();
    for (let minute = 60; minute <= 100; minute++) {
      clock.now = at(minute);
      const result = await s.poll();
      expect(result.status).toBe('ok');
      seen.set(minute, result.anomalies);
    }
    const all = [...seen.values()].flat();
    expect(new Set(all.map((a) => a.id))).toEqual(new Set(['logs:errors:shop/checkout']));
    for (let minute = 60; minute <= SPIKE_FROM; minute++) expect(seen.get(minute)).toEqual([]);
    const opened = [...seen].find(([, as]) => as.length > 0)!;
    const [first] = opened[1];
    expect(opened[0]).toBeLessThanOrEqual(SPIKE_FROM + 3);
    expect(first).toMatchObject({
      kind: 'LogErrorSpike',
      source: 'logs',
      severity: 'warning',
      component: 'checkout',
      namespace: 'shop',
      action: 'none',
      labels: { namespace: 'shop', service: 'checkout' },
    });
    expect(first.startsAt).toBeGreaterThanOrEqual(T0 + SPIKE_FROM * MIN);
    expect(first.endsAt).toBeUndefined();
    expect(first.value).toBeGreaterThanOrEqual(40);
    expect(first.summary).toMatch(/^Error lines of checkout \(shop\) spike: up to (\d+) per 1m \(at 2025-03-01T13:1\d:00.000Z\), usually about [1-3]; latest \1$/);
    // The summary keeps the peak and the usual level of the start, not the tail of the incident.
    const last = [...seen.values()].flat().at(-1)!;
    expect(last.summary).toMatch(/^Error lines of checkout \(shop\) spike: up to 4\d per 1m \(at 2025-03-01T13:\d\d:00.000Z\), usually about [1-3]; latest [0-4]$/);
    // Same id and start while it lasts; once, with endsAt, when it ends; then nothing.
    const during = [...seen].filter(([, as]) => as.length > 0);
    expect(new Set(during.map(([, as]) => as[0].startsAt))).toEqual(new Set([first.startsAt]));
    const endedAt = during.find(([, as]) => as[0].endsAt !== undefined)!;
    expect(endedAt[1][0].endsAt).toBeGreaterThanOrEqual(T0 + SPIKE_TO * MIN);
    expect(endedAt[1][0].endsAt).toBeLessThanOrEqual(T0 + (SPIKE_TO + 7) * MIN);
    expect(during.at(-1)![0]).toBe(endedAt[0]);
    expect(seen.get(100)).toEqual([]);
  });

  it('ignores a small burst (under minErrorsPerStep) of a service that rarely logs errors', async () => {
    // One line every 10 minutes for hours, then 4 a minute for 8 minutes: far beyond its usual extremes, but 4 lines.
    const docs = lines('shop', 'auth', 0, 400, (m) => (m >= 380 && m < 388 ? 4 : m % 10 === 0 ? 1 : 0), (m, i) => `error: token refresh failed for session ${m}${i}`);
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s, clock } = source(fake.url);
    const found: string[] = [];
    for (let minute = 60; minute <= 392; minute++) {
      clock.now = at(minute);
      for (const a of (await s.poll()).anomalies) if (a.kind === 'LogErrorSpike') found.push(a.id);
    }
    expect(found).toEqual([]);
  });

  it('goes on exactly from a JSON snapshot taken mid-spike: the open spike, the detectors, the drawn points and the windows', async () => {
    const docs = baseline(120, (m) => (m >= 75 && m < 85 ? 40 + Math.floor(noise(m) * 10) : 1 + Math.floor(noise(m) * 3)));
    fake = await startFakeElasticsearch(cluster(() => docs));
    const first = source(fake.url);
    for (let minute = 60; minute <= 79; minute++) {
      first.clock.now = at(minute);
      await first.s.poll();
    }
    expect(first.s.active().map((a) => a.id)).toEqual(['logs:errors:shop/checkout']);
    const saved = JSON.parse(JSON.stringify(first.s.snapshot()));
    const second = source(fake.url);
    second.s.restore(saved);
    expect(second.s.active()).toEqual(first.s.active());
    expect(second.s.snapshot()).toEqual(first.s.snapshot());
    const searchedBefore = fake.requests.length;
    // Both go on from minute 80; the restored one searches only what the snapshot had not seen.
    for (let minute = 80; minute <= 100; minute++) {
      first.clock.now = at(minute);
      second.clock.now = at(minute);
      const [a, b] = [await first.s.poll(), await second.s.poll()];
      expect(b).toEqual(a);
    }
    expect(second.s.seriesView('log-error-rate', 50)).toEqual(first.s.seriesView('log-error-rate', 50));
    // Each poll: the error-rate search, then the lines since the last one; the same for both.
    const ranges = fake.requests.slice(searchedBefore).map((r) => range(JSON.parse(r.body)));
    expect(ranges.slice(2, 4)).toEqual(ranges.slice(0, 2));
    expect(ranges[1]!.gte).toBe(T0 + 79 * MIN);
    expect(() => second.s.restore({ ...saved, version: 2 })).toThrow(/unknown logs source snapshot version 2/);
  });

  it('reports a service that never logged errors and suddenly does, once the source watched long enough', async () => {
    const docs = [...baseline(100), ...lines('shop', 'payments', 80, 100, () => 25, (m, i) => `Exception in thread "main" java.lang.IllegalStateException: ledger closed ${m}-${i}`)];
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s, clock } = source(fake.url);
    const ids = new Set<string>();
    for (let minute = 60; minute <= 90; minute++) {
      clock.now = at(minute);
      for (const a of (await s.poll()).anomalies) if (a.kind === 'LogErrorSpike') ids.add(a.id);
    }
    expect(ids).toEqual(new Set(['logs:errors:shop/payments']));
  });
});

describe('new log patterns', () => {
  const ledger = (m: number, i: number) => `FATAL ledger write rejected: checksum mismatch on segment ${m * 100 + i}`;
  const panic = (m: number, i: number) => `panic: runtime error: index out of range [${m + i}] with length ${i}`;

  it('learns the first window, then reports a new template with k lines once, not known templates nor one under k', async () => {
    const docs = [...baseline(70), ...lines('shop', 'ledger', 61, 62, () => 4, ledger), ...lines('search', 'indexer', 61, 62, () => 2, panic)];
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s, clock } = source(fake.url);
    expect((await s.poll()).anomalies).toEqual([]);
    clock.now = at(62);
    const { anomalies } = await s.poll();
    expect(anomalies).toEqual([
      {
        id: expect.stringMatching(/^logs:pattern:[0-9a-f]{12}$/),
        kind: 'NewLogPattern',
        source: 'logs',
        severity: 'warning',
        component: 'ledger',
        namespace: 'shop',
        action: 'none',
        labels: { namespace: 'shop', service: 'ledger', pattern: expect.stringMatching(/^[0-9a-f]{12}$/) },
        summary: 'New error log pattern in ledger (shop), 4 lines: FATAL ledger write rejected: checksum mismatch on segment <NUM> — e.g. FATAL ledger write rejected: checksum mismatch on segment 6100',
        startsAt: T0 + 62 * MIN,
        value: 4,
      },
    ]);
    expect(anomalies[0]!.id.endsWith(anomalies[0]!.labels.pattern!)).toBe(true);
    // Still active (held), not reported as new again; then resolved after the hold.
    clock.now = at(63);
    expect((await s.poll()).anomalies.map((a) => a.id)).toEqual([anomalies[0]!.id]);
  });

  it('mines error-level lines without error words, never info or warn lines that mention an error', async () => {
    const leveled = (service: string, level: string, message: (m: number, i: number) => string) =>
      lines('shop', service, 61, 62, () => 4, message).map((d) => ({ ...d, level }));
    const docs = [
      ...baseline(70),
      ...leveled('ledger', 'error', (m, i) => `ledger write rejected: checksum mismatch on segment ${m * 100 + i}`),
      ...leveled('auth', 'info', (m, i) => `retrying after upstream error ${m}-${i}`),
      ...leveled('payments', 'warn', (_m, i) => `{"level":"warn","msg":"upstream error, retrying","attempt":${i}}`),
    ];
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s, clock } = source(fake.url);
    expect((await s.poll()).anomalies).toEqual([]);
    clock.now = at(62);
    const found = (await s.poll()).anomalies;
    expect(found.map((a) => [a.kind, a.component])).toEqual([['NewLogPattern', 'ledger']]);
    // The lines the miner got: the baseline's (no level, error words) and ledger's, none of auth's or payments'.
    const search = JSON.parse(fake.requests.at(-1)!.body);
    const mined = (linesAnswer(search, docs.filter((d) => holds(search.query.bool.filter[1], d))) as any).hits.hits;
    expect(new Set(mined.map((h: any) => h._source.kubernetes.container.name))).toEqual(new Set(['ledger', 'checkout', 'cart', 'search-api']));
  });

  it('resolves a new pattern after the hold and cuts long examples', async () => {
    const long = (m: number, i: number) => `ERROR report export failed ${'x'.repeat(400)} part ${m}-${i}`;
    const docs = [...baseline(70), ...lines('ops', 'exporter', 61, 62, () => 3, long)];
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s, clock } = source(fake.url, { patternHoldMs: 2 * MIN });
    await s.poll();
    clock.now = at(62);
    const [found] = (await s.poll()).anomalies;
    expect(found!.summary.length).toBeLessThan(460);
    expect(found!.summary).toContain('…');
    clock.now = at(63);
    expect((await s.poll()).anomalies).toHaveLength(1);
    clock.now = at(64);
    expect((await s.poll()).anomalies).toEqual([{ ...found, endsAt: T0 + 64 * MIN }]);
    clock.now = at(65);
    expect((await s.poll()).anomalies).toEqual([]);
  });

  it('keeps its baseline as JSON: a restored source knows the templates and reports only new ones', async () => {
    const docs = [...baseline(70), ...lines('shop', 'ledger', 61, 62, () => 4, ledger)];
    fake = await startFakeElasticsearch(cluster(() => docs));
    const { s } = source(fake.url);
    await s.poll();
    const saved = JSON.parse(JSON.stringify(s.patternState()));
    expect(saved.linesUntil).toBe(T0 + 60 * MIN);
    const { s: restored, clock } = source(fake.url, { patternState: saved });
    clock.now = at(62);
    const found = (await restored.poll()).anomalies.filter((a) => a.kind === 'NewLogPattern');
    expect(found.map((a) => a.component)).toEqual(['ledger']);
    expect(range(JSON.parse(fake.requests.at(-1)!.body)).gte).toBe(T0 + 60 * MIN);
  });
});

describe('when Elasticsearch is not there', () => {
  it('takes index_not_found as no logs yet: no anomaly, no throw, no backoff, one info line', async () => {
    fake = await startFakeElasticsearch(() => [404, INDEX_NOT_FOUND]);
    const { s, clock, logged } = source(fake.url);
    expect(await s.poll()).toEqual({ status: 'no-index', anomalies: [] });
    clock.now = at(61);
    expect(await s.poll()).toEqual({ status: 'no-index', anomalies: [] });
    expect(fake.requests).toHaveLength(2);
    expect(logged).toEqual([{ level: 'info', obj: { indexPattern: 'aiops-logs-*' }, msg: expect.stringContaining('no index matches aiops-logs-*') }]);
  });

  it('takes a wildcard that matches no index (200, no shards, no aggregations) as no service', async () => {
    fake = await startFakeElasticsearch(() => [200, { took: 0, timed_out: false, _shards: { total: 0, successful: 0, skipped: 0, failed: 0 }, hits: { max_score: 0, hits: [] } }]);
    const { s } = source(fake.url);
    expect(await s.poll()).toEqual({ status: 'ok', anomalies: [] });
  });

  it('backs off while Elasticsearch fails (5 s, 10 s…), sends nothing meanwhile, and recovers', async () => {
    let failures = 2;
    const ok = cluster(() => baseline(70));
    fake = await startFakeElasticsearch((r) => (failures-- > 0 ? [503, { error: { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];' }, status: 503 }] : ok(r)));
    const { s, clock, logged } = source(fake.url);
    const t = clock.now;
    const first = await s.poll();
    expect(first).toMatchObject({ status: 'failed', retryAt: t + 5000, anomalies: [] });
    expect(first.error).toBe(`Elasticsearch at ${fake.url} answered /aiops-logs-*/_search with 503: cluster_block_exception: blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];`);
    clock.now = t + 4999;
    expect(await s.poll()).toEqual({ status: 'backoff', retryAt: t + 5000, anomalies: [] });
    expect(fake.requests).toHaveLength(1);
    clock.now = t + 5000;
    expect(await s.poll()).toMatchObject({ status: 'failed', retryAt: t + 15_000 });
    clock.now = t + 15_000;
    expect((await s.poll()).status).toBe('ok');
    expect(logged.map((l) => l.level)).toEqual(['warn', 'warn', 'info']);
    expect(logged[1]!.obj).toMatchObject({ endpoint: fake.url, kind: 'http', failures: 2 });
  });

  it('does not throw when nothing listens, and names the endpoint without credentials', async () => {
    const gone = await startFakeElasticsearch(() => [200, {}]);
    await gone.close();
    const { s, logged } = source(gone.url);
    const result = await s.poll();
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(new RegExp(`^Elasticsearch at ${gone.url} is unreachable \\(ECONNREFUSED\\)$`));
    const text = JSON.stringify([result, logged]);
    expect(text).not.toContain('r3ader');
    expect(text).not.toContain(basicAuth('logs_reader', PASSWORD).slice(6));
  });

  it('gives up on a request after the timeout', async () => {
    fake = await startFakeElasticsearch(() => new Promise<FakeAnswer>(() => {}));
    const slow = new ElasticsearchLogsSource({ connection: { url: fake.url, indexPattern: 'aiops-logs-*', timeoutMs: 200 }, now: () => at(60) });
    const started = Date.now();
    const result = await slow.poll();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ status: 'failed', error: `Elasticsearch at ${fake.url} did not answer /aiops-logs-*/_search within 200 ms` });
  });

  it('says which user was refused (401), without its password', async () => {
    fake = await startFakeElasticsearch(() => [401, { error: { type: 'security_exception', reason: 'unable to authenticate user [logs_reader] for REST request [/aiops-logs-*/_search]' }, status: 401 }]);
    const { s, logged } = source(fake.url);
    const result = await s.poll();
    expect(result.error).toBe(`Elasticsearch at ${fake.url} refused user logs_reader on /aiops-logs-*/_search (401): security_exception: unable to authenticate user [logs_reader] for REST request [/aiops-logs-*/_search]`);
    expect(JSON.stringify(logged)).not.toContain('r3ader');
  });
});

describe('reading the answers', () => {
  const answer = (extra: object) => ({ aggregations: { namespaces: { sum_other_doc_count: 0, buckets: [{ key: 'shop', doc_count: 3, services: { sum_other_doc_count: 0, buckets: [{ key: 'cart', doc_count: 3, per_step: { buckets: [{ key: T0, doc_count: 3 }] } }] } }] } }, ...extra });

  it('says a partial answer (failed shards, timed out, services left out) may miss services, so they are not fed zeros', () => {
    expect(parseErrorRates(answer({ _shards: { total: 2, successful: 2, failed: 0 } }))).toEqual({ services: [{ namespace: 'shop', service: 'cart', counts: new Map([[T0, 3]]) }], truncated: false });
    expect(parseErrorRates(answer({ _shards: { total: 2, successful: 1, failed: 1 } })).truncated).toBe(true);
    expect(parseErrorRates(answer({ timed_out: true })).truncated).toBe(true);
    const leftOut = answer({});
    (leftOut.aggregations.namespaces.buckets[0]!.services as { sum_other_doc_count: number }).sum_other_doc_count = 12;
    expect(parseErrorRates(leftOut).truncated).toBe(true);
  });

  it('reads error lines oldest first and skips hits without a message', () => {
    const hits = [
      { _source: { message: 'b', kubernetes: { namespace: 'shop', container: { name: 'cart' } } } },
      { _source: { kubernetes: { namespace: 'shop' } } },
      { _source: { message: 'a' } },
    ];
    expect(parseErrorLines({ hits: { hits } })).toEqual([
      { message: 'a', namespace: 'unknown', service: 'unknown' },
      { message: 'b', namespace: 'shop', service: 'cart' },
    ]);
  });
});

describe('configuration', () => {
  const schema = z.object({ ...elasticsearchEnvShape }).check(elasticsearchEnvCheck);

  it('reads the chart variables, the index pattern defaulting to aiops-logs-*', () => {
    const env = loadConfig(schema, { ELASTICSEARCH_URL: 'http://aiops-platform-elasticsearch:9200/', ELASTICSEARCH_USERNAME: 'logs_reader', ELASTICSEARCH_PASSWORD: 'pw' });
    expect(elasticsearchConnection(env)).toEqual({ url: 'http://aiops-platform-elasticsearch:9200', username: 'logs_reader', password: 'pw', indexPattern: 'aiops-logs-*' });
    expect(elasticsearchConnection(loadConfig(schema, {}))).toBeUndefined();
  });

  it('refuses credentials in the URL without echoing them, a half set of credentials and a bad pattern', () => {
    expect(() => loadConfig(schema, { ELASTICSEARCH_URL: 'http://u:secret@es:9200' })).toThrow(
      'config: ELASTICSEARCH_URL: must not carry credentials (user:password@): set ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD instead',
    );
    expect(() => loadConfig(schema, { ELASTICSEARCH_URL: 'ftp://u:secret@es' })).toThrow(/ELASTICSEARCH_URL: expected an http or https URL, found a string of 17 characters \(hidden\)/);
    expect(() => loadConfig(schema, { ELASTICSEARCH_URL: 'http://es:9200', ELASTICSEARCH_USERNAME: 'logs_reader' })).toThrow('config: ELASTICSEARCH_PASSWORD: required when ELASTICSEARCH_USERNAME is set, not set');
    expect(() => loadConfig(schema, { ELASTICSEARCH_INDEX_PATTERN: 'Logs/../x' })).toThrow(/ELASTICSEARCH_INDEX_PATTERN: expected index names or patterns/);
  });
});
