import { describe, expect, it } from 'vitest';
import { isPlainSqlIdentifier, sqlIdentifier } from '../../../src/core/sql-identifier.js';
import { QueryRegressionTracker, shortQuery, type StatementCounters } from '../../../src/services/ai-engine/sources/query-regression.js';
import { buildQueryReport } from '../../../src/services/ai-engine/sources/query-report.js';

const MINUTE = 60_000;

/** Cumulative counters of a few statements, advanced interval by interval. */
class FakeStats {
  readonly rows = new Map<string, StatementCounters>();
  run(queryid: string, calls: number, meanMs: number, username = 'app', query = `SELECT ${queryid}`): void {
    const key = `${queryid}/${username}`;
    const r = this.rows.get(key) ?? { queryid, username, query, calls: 0, totalExecMs: 0, rows: 0, sharedBlksHit: 0, sharedBlksRead: 0 };
    this.rows.set(key, { ...r, calls: r.calls + calls, totalExecMs: r.totalExecMs + calls * meanMs, rows: r.rows + calls, sharedBlksHit: r.sharedBlksHit + calls * 3, sharedBlksRead: r.sharedBlksRead + calls });
  }
  reset(): void {
    this.rows.clear();
  }
  read(): StatementCounters[] {
    return [...this.rows.values()];
  }
}

/** A tracker fed `intervals` normal intervals of two statements (q1 about 2 ms, q2 about 40 ms), with a little noise. */
function learned(opts: ConstructorParameters<typeof QueryRegressionTracker>[0] = {}) {
  const stats = new FakeStats();
  const tracker = new QueryRegressionTracker({ namespace: 'aiops-platform', ...opts });
  let t = 0;
  const tick = (work: () => void) => {
    work();
    t += MINUTE;
    return tracker.observe(stats.read(), t);
  };
  tick(() => stats.run('q1', 100, 2));
  for (let i = 0; i < 10; i += 1) {
    const u = tick(() => {
      stats.run('q1', 100, 2 + (i % 3) * 0.1);
      stats.run('q2', 50, 40 + (i % 2));
    });
    expect(u.opened).toEqual([]);
  }
  return { stats, tracker, tick, now: () => t };
}

describe('QueryRegressionTracker', () => {
  it('reports a statement whose interval mean regressed, for exactly that queryid, after two slow intervals; closes after two normal ones', () => {
    const { stats, tracker, tick, now } = learned();
    const slow = () => {
      stats.run('q1', 100, 30);
      stats.run('q2', 50, 40);
    };
    expect(tick(slow).opened).toEqual([]);
    const u = tick(slow);
    expect(u.opened).toHaveLength(1);
    const a = u.opened[0]!;
    expect(a).toMatchObject({ id: 'queries:q1', kind: 'QueryRegression', source: 'queries', action: 'optimize-db', component: 'postgresql', namespace: 'aiops-platform', labels: { queryid: 'q1' }, severity: 'critical', startsAt: now() });
    expect(a.value).toBeCloseTo(30 / 2.1, 3);
    expect(a.summary).toMatch(/^statement q1 slowed down: 30\.0 ms per call over 100 calls, usually 2\.\d+ ms \(1\d\.\d×\): SELECT q1$/);
    expect(tracker.active()).toEqual([a]);
    // Still slow: stays open, not reopened; then two normal intervals close it.
    expect(tick(slow).opened).toEqual([]);
    const normal = () => stats.run('q1', 100, 2);
    expect(tick(normal).closed).toEqual([]);
    const closed = tick(normal).closed;
    expect(closed).toEqual([{ ...a, value: closed[0]!.value, summary: closed[0]!.summary, endsAt: now() }]);
    expect(tracker.active()).toEqual([]);
  });

  it('stays silent on noise, on slowdowns below the ratio and below the absolute minimum, and while learning', () => {
    const { stats, tick } = learned();
    // q2 at 40 ms: 60 ms is 1.5× (below minRatio 2).
    for (let i = 0; i < 3; i += 1) expect(tick(() => stats.run('q2', 50, 60)).opened).toEqual([]);
    // q1 at 2 ms: 6 ms is 3× but only 4 ms slower (below minSlowdownMs 5).
    for (let i = 0; i < 3; i += 1) expect(tick(() => stats.run('q1', 100, 6)).opened).toEqual([]);
    // A new statement slow from its start learns, it is not a regression.
    const fresh = new QueryRegressionTracker();
    const s = new FakeStats();
    for (let i = 0; i < 8; i += 1) {
      s.run('q9', 100, 100 + (i % 2));
      expect(fresh.observe(s.read(), i * MINUTE).opened).toEqual([]);
    }
  });

  it('a single slow interval (a lock wait) does not open; regressed intervals never enter the baseline', () => {
    const { stats, tracker, tick } = learned();
    expect(tick(() => stats.run('q1', 100, 50)).opened).toEqual([]);
    expect(tick(() => stats.run('q1', 100, 2)).opened).toEqual([]);
    expect(tick(() => stats.run('q1', 100, 50)).opened).toEqual([]);
    expect(tracker.baseline('q1')!.medianMs).toBeCloseTo(2.1, 1);
  });

  it('accumulates calls until an interval has minCalls, and drops one older than maxIntervalMs', () => {
    const { stats, tracker, tick } = learned({ minCalls: 20, maxIntervalMs: 10 * MINUTE });
    const before = tracker.baseline('q1')!.samples;
    // 5 calls per minute: a sample every 4 reads.
    const samples = [1, 2, 3, 4].map(() => tick(() => stats.run('q1', 5, 2)).samples);
    expect(samples).toEqual([0, 0, 0, 1]);
    expect(tracker.baseline('q1')!.samples).toBe(before + 1);
    // 1 call per 11 minutes never reaches 20 calls within 10 minutes: no sample.
    const rare = new FakeStats();
    const t2 = new QueryRegressionTracker({ minCalls: 20, maxIntervalMs: 10 * MINUTE });
    let total = 0;
    for (let i = 0; i < 40; i += 1) {
      rare.run('r', 1, 1);
      total += t2.observe(rare.read(), i * 11 * MINUTE).samples;
    }
    expect(total).toBe(0);
  });

  it('handles counter resets: counters that went down count from zero, vanished and new entries after a complete read too', () => {
    const { stats, tracker, tick } = learned();
    const samples = tracker.baseline('q1')!.samples;
    // pg_stat_statements_reset() between two reads, then 100 calls: the interval is exactly those calls.
    stats.reset();
    stats.run('q1', 100, 2);
    const u = tick(() => undefined);
    expect(u.resets).toBe(1);
    expect(u.opened).toEqual([]);
    expect(tracker.baseline('q1')).toMatchObject({ samples: samples + 1, lastMs: 2 });
    // A read in which the entry is gone, then it is back: counted from zero again.
    stats.reset();
    expect(tick(() => undefined).samples).toBe(0);
    const back = tick(() => stats.run('q1', 100, 30));
    expect(back.samples).toBe(1);
    expect(tracker.baseline('q1')!.lastMs).toBe(30);
    // After a reset, a slow statement is still caught (no negative or huge deltas hide it).
    stats.reset();
    stats.run('q1', 50, 30);
    expect(tick(() => undefined).opened.map((a) => a.id)).toEqual(['queries:q1']);
  });

  it('after an incomplete (row-limited) read, a newly seen entry only sets its reference', () => {
    const tracker = new QueryRegressionTracker();
    const stats = new FakeStats();
    stats.run('a', 100, 1);
    tracker.observe(stats.read(), 0, false);
    stats.run('b', 100, 1);
    // a: delta of 0 calls; b: unseen after an incomplete read → reference only.
    expect(tracker.observe(stats.read(), MINUTE).samples).toBe(0);
    stats.run('b', 100, 1);
    expect(tracker.observe(stats.read(), 2 * MINUTE).samples).toBe(1);
  });

  it('sums the rows of one queryid (several roles) into one statement', () => {
    const { stats, tick } = learned();
    const slow = () => {
      stats.run('q1', 50, 30, 'app');
      stats.run('q1', 50, 30, 'reporting');
    };
    tick(slow);
    const opened = tick(slow).opened;
    expect(opened.map((a) => [a.id, a.summary.match(/over (\d+) calls/)![1]])).toEqual([['queries:q1', '100']]);
  });

  it('snapshot and restore keep the baselines across a restart', () => {
    const { tracker } = learned();
    const saved = JSON.parse(JSON.stringify(tracker.snapshot()));
    const restarted = new QueryRegressionTracker({ openIntervals: 1 });
    restarted.restore([...saved, { queryid: 5 }, null], 0);
    expect(restarted.baseline('q1')!.medianMs).toBeCloseTo(2.1, 1);
    const stats = new FakeStats();
    stats.run('q1', 100, 2);
    restarted.observe(stats.read(), MINUTE);
    stats.run('q1', 100, 30);
    expect(restarted.observe(stats.read(), 2 * MINUTE).opened.map((a) => a.id)).toEqual(['queries:q1']);
  });

  it('forgets statements not seen for forgetAfterMs, closing their regression', () => {
    const { stats, tracker, tick, now } = learned({ forgetAfterMs: 5 * MINUTE, openIntervals: 1 });
    tick(() => stats.run('q1', 100, 30));
    expect(tracker.active()).toHaveLength(1);
    stats.reset();
    let closed: unknown[] = [];
    for (let i = 0; i < 7 && closed.length === 0; i += 1) closed = tick(() => undefined).closed;
    expect(closed).toMatchObject([{ id: 'queries:q1', endsAt: now() }]);
    expect(tracker.baseline('q1')).toBeUndefined();
  });

  it('refuses options that make no sense', () => {
    expect(() => new QueryRegressionTracker({ minCalls: 0 })).toThrow(/minCalls must be a positive integer/);
    expect(() => new QueryRegressionTracker({ minBaselineIntervals: 40, baselineIntervals: 30 })).toThrow(/must not exceed/);
  });
});

describe('query report', () => {
  it('lists the top statements by total and by mean time, with calls, rows, hit ratio, baseline and truncated text', () => {
    const { stats, tracker } = learned();
    stats.run('q3', 1, 5000, 'app', `SELECT   pg_sleep($1)\n  FROM big ${'x'.repeat(500)}`);
    stats.run('q4', 0, 0);
    const report = buildQueryReport(stats.read(), { top: 2, maxQueryLength: 40 }, { view: 'aiops_query_stats', readAt: 7, truncated: false, baseline: (id) => tracker.baseline(id), active: [] });
    expect(report.byTotalTime.map((s) => s.queryid)).toEqual(['q2', 'q3']);
    expect(report.byMeanTime.map((s) => s.queryid)).toEqual(['q3', 'q2']);
    expect(report).toMatchObject({ view: 'aiops_query_stats', readAt: 7, statements: 3, truncated: false, regressions: [] });
    const q3 = report.byMeanTime[0]!;
    expect(q3).toEqual({ queryid: 'q3', query: 'SELECT pg_sleep($1) FROM big xxxxxxxxxx…', calls: 1, meanMs: 5000, totalMs: 5000, rows: 1, hitRatio: 0.75, baselineMs: null, regressed: false });
    expect(q3.query).toHaveLength(40);
    expect(report.byTotalTime[0]!.baselineMs).toBeCloseTo(40.5, 1);
  });
});

describe('sqlIdentifier', () => {
  it('quotes plain identifiers and refuses everything else', () => {
    expect(sqlIdentifier('aiops_query_stats')).toBe('"aiops_query_stats"');
    expect(sqlIdentifier('user')).toBe('"user"');
    expect(sqlIdentifier('_x9')).toBe('"_x9"');
    expect(sqlIdentifier('a'.repeat(63))).toBe(`"${'a'.repeat(63)}"`);
    for (const bad of ['', 'a'.repeat(64), 'Aiops', '9x', 'public.aiops_query_stats', 'x"; DROP TABLE t; --', 'x y', 'x$', 'ü', 'x\u0000', "x'"]) {
      expect(isPlainSqlIdentifier(bad), bad).toBe(false);
      expect(() => sqlIdentifier(bad, 'POSTGRES_QUERY_STATS_VIEW'), bad).toThrow(/^POSTGRES_QUERY_STATS_VIEW: expected a plain identifier/);
    }
  });

  it('shortQuery puts text on one line and cuts it with an ellipsis', () => {
    expect(shortQuery(' SELECT\n\t1 ', 10)).toBe('SELECT 1');
    expect(shortQuery('abcdefghijk', 5)).toBe('abcd…');
  });
});
