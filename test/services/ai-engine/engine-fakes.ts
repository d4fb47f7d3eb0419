/**
 * Fakes of the AI engine's service tests: a log cluster where shop/checkout's error lines spike
 * (minutes 75-85 of a day starting at T0), answering the logs source's two searches, and a
 * recording Alertmanager.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeAnswer, RecordedRequest } from '../../support/fake-elasticsearch.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
/** 45 s into minute k: with the 30 s lag, the last complete minute ends at minute k. */
export const at = (minute: number) => T0 + minute * MIN + 45_000;
export const SPIKE_FROM = 75;
export const SPIKE_TO = 85;

/** Deterministic noise in [0, 1). */
const noise = (seed: number) => {
  const x = Math.sin(seed * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
};

/** Error lines of shop/checkout per minute: 1-3, then 40-49 during the spike. */
const checkoutErrors = (m: number) => (m >= SPIKE_FROM && m < SPIKE_TO ? 40 + Math.floor(noise(m) * 10) : 1 + Math.floor(noise(m) * 3));

/** The fake cluster: the error-rate aggregation of checkout's lines, and (lines search) the same message each time. */
export function spikingCheckout(r: RecordedRequest): FakeAnswer {
  const body = JSON.parse(r.body);
  const { gte, lt } = body.query.bool.filter[0].range['@timestamp'] as { gte: number; lt: number };
  const shards = { total: 1, successful: 1, skipped: 0, failed: 0 };
  if (body.size !== 0) {
    const hits = [];
    for (let t = gte; t < lt; t += MIN) hits.push({ _index: 'aiops-logs-2025.03.01', _id: String(t), _score: null, _source: { message: 'ERROR payment call failed: upstream connect error', kubernetes: { namespace: 'shop', container: { name: 'checkout' } } }, sort: [t] });
    return [200, { took: 1, timed_out: false, _shards: shards, hits: { max_score: null, hits: hits.reverse().slice(0, body.size) } }];
  }
  const buckets = [];
  for (let t = gte; t < lt; t += MIN) buckets.push({ key_as_string: new Date(t).toISOString(), key: t, doc_count: checkoutErrors((t - T0) / MIN) });
  const total = buckets.reduce((s, b) => s + b.doc_count, 0);
  return [
    200,
    {
      took: 2,
      timed_out: false,
      _shards: shards,
      hits: { max_score: null, hits: [] },
      aggregations: {
        namespaces: {
          doc_count_error_upper_bound: 0,
          sum_other_doc_count: 0,
          buckets: [{ key: 'shop', doc_count: total, services: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [{ key: 'checkout', doc_count: total, per_step: { buckets } }] } }],
        },
      },
    },
  ];
}

/** A recording Alertmanager: the alerts of every `POST /api/v2/alerts`. */
export async function startFakeAlertmanager(): Promise<{ url: string; alerts: any[]; close(): Promise<void> }> {
  const alerts: any[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') alerts.push(...(JSON.parse(body) as any[]));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    alerts,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

