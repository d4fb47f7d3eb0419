import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/services/ai-engine/anomaly.js';
import { AnomalyBook } from '../../../src/services/ai-engine/engine.js';
import { AlertmanagerOutput, labelName, labelValue, toAlert, type PostableAlert } from '../../../src/services/ai-engine/outputs/alertmanager.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2025, 0, 1);

const anomaly: Anomaly = {
  id: 'metrics:http-latency-p95{service="a"}',
  kind: 'AnomalyDetected',
  source: 'metrics',
  severity: 'warning',
  component: 'http',
  namespace: 'aiops',
  action: 'none',
  labels: { service: 'a', series: 'http-latency-p95', 'kubernetes.io/name': 'x', '9lives': 'y', alertname: 'forged', __name__: 'm', empty: '' },
  summary: 'p95 of service="a": 3.2 s',
  startsAt: T0,
  value: 0.8,
};

function recorder(status = 200) {
  const posts: PostableAlert[][] = [];
  let code = status;
  const fetchFn = (async (_url: unknown, init?: RequestInit) => {
    posts.push(JSON.parse(String(init!.body)) as PostableAlert[]);
    return new Response('', { status: code });
  }) as typeof fetch;
  return { posts, fetch: fetchFn, status: (s: number) => (code = s) };
}

describe('anomalies as Alertmanager alerts', () => {
  it('sanitises label names and values', () => {
    expect(labelName('kubernetes.io/name')).toBe('kubernetes_io_name');
    expect(labelName('9lives')).toBe('_9lives');
    expect(labelName('__name__')).toBeUndefined();
    expect(labelName('')).toBeUndefined();
    expect(labelValue('a\uD800b')).toBe('a\uFFFDb');
    expect(labelValue('x'.repeat(2000))).toHaveLength(1024);
  });

  it('labels an alert by kind, severity, component, namespace, action, source and anomaly id over the identifying labels', () => {
    const alert = toAlert(anomaly, T0 + 1000, 240_000);
    expect(alert.labels).toEqual({
      alertname: 'AnomalyDetected',
      severity: 'warning',
      component: 'http',
      namespace: 'aiops',
      action: 'none',
      source: 'metrics',
      anomaly: anomaly.id,
      service: 'a',
      series: 'http-latency-p95',
      kubernetes_io_name: 'x',
      _9lives: 'y',
    });
    expect(alert.annotations.summary).toBe(anomaly.summary);
    expect(alert.annotations.description).toContain('2025-01-01T00:00:00.000Z');
    expect(alert.startsAt).toBe('2025-01-01T00:00:00.000Z');
    expect(alert.endsAt).toBe(new Date(T0 + 241_000).toISOString());
    expect(toAlert({ ...anomaly, endsAt: T0 + 5000 }, T0 + 9000, 240_000).endsAt).toBe(new Date(T0 + 5000).toISOString());
  });

  it('posts on opening, re-sends active alerts, posts the resolution once and retries it until delivered', async () => {
    const am = recorder();
    const out = new AlertmanagerOutput({ url: 'http://am:9093', log, fetch: am.fetch, now: () => T0 });
    out.handle(anomaly);
    out.handle({ ...anomaly, value: 0.9 });
    await out.flush();
    expect(am.posts.map((p) => p.length)).toEqual([1, 1]);
    am.status(503);
    out.handle({ ...anomaly, endsAt: T0 + 60_000 });
    await out.flush();
    expect(am.posts.at(-1)![0]!.endsAt).toBe(new Date(T0 + 60_000).toISOString());
    am.status(200);
    await out.flush();
    const delivered = am.posts.length;
    await out.flush();
    expect(am.posts.length).toBe(delivered);
    await out.stop();
  });

  it('the book lists active then ended anomalies, filtered, and feeds its sinks', () => {
    const seen: Anomaly[] = [];
    const book = new AnomalyBook({ sinks: [(a) => seen.push(a)] });
    book.record(anomaly);
    book.record({ ...anomaly, id: 'logs:x', source: 'logs', kind: 'NewLogPattern', startsAt: T0 + 1 });
    book.record({ ...anomaly, endsAt: T0 + 10 });
    expect(book.list().map((a) => [a.id, a.endsAt !== undefined])).toEqual([['logs:x', false], [anomaly.id, true]]);
    expect(book.list({ active: true }).map((a) => a.id)).toEqual(['logs:x']);
    expect(book.list({ source: 'metrics' }).map((a) => a.id)).toEqual([anomaly.id]);
    expect(book.list({ kind: 'NewLogPattern', active: false })).toEqual([]);
    expect(seen).toHaveLength(3);
  });
});
