import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeClient, LeaderElector, type ElectorClock, type LeaderElectorOptions } from '../../../src/services/kit/kubernetes.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../support/fake-kube-api.js';

/**
 * Lease leader election against the recording fake API server (real HTTP), on a manual clock:
 * rounds run when the test advances time, so nothing waits and every run is the same.
 */

const NS = 'aiops-platform';
const LEASE = 'aiops-platform-self-healing';
const T0 = Date.parse('2024-05-01T12:00:00Z');

/** A clock the test moves: due timers run in order and are awaited (they return the elector's round). */
function manualClock(start = T0) {
  let now = start;
  let ids = 0;
  const timers: { at: number; id: number; fn: () => unknown }[] = [];
  const clock: ElectorClock & { advance(ms: number): Promise<void>; pending(): number } = {
    now: () => now,
    setTimeout: (fn, ms) => {
      ids += 1;
      timers.push({ at: now + ms, id: ids, fn });
      return ids;
    },
    clearTimeout: (id) => {
      const index = timers.findIndex((t) => t.id === id);
      if (index >= 0) timers.splice(index, 1);
    },
    /** Moves time forward by `ms`, running every timer that falls due, in time order. */
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = next.at;
        await next.fn();
      }
      now = end;
    },
    pending: () => timers.length,
  };
  return clock;
}

let kube: FakeKubeApi;
let client: KubeClient;
let clock: ReturnType<typeof manualClock>;
const electors: LeaderElector[] = [];

beforeEach(async () => {
  kube = await startFakeKubeApi();
  client = new KubeClient(kube.clientOptions());
  clock = manualClock();
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  await kube.close();
});

/** An elector for pod `identity` on the shared fake and clock; `changes` records its onChange calls. */
function candidate(identity: string, opts: Partial<LeaderElectorOptions> = {}) {
  const elector = new LeaderElector({ client, namespace: NS, name: LEASE, identity, clock, ...opts });
  const changes: boolean[] = [];
  elector.onChange((leader) => changes.push(leader));
  electors.push(elector);
  return { elector, changes };
}

const leaseSpec = () => kube.get('leases', NS, LEASE)?.['spec'] as Record<string, unknown> | undefined;
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/** Waits until the elector's first round (started by start()) has finished and scheduled the next. */
async function firstRound(pendingTimers: number): Promise<void> {
  for (let i = 0; i < 2000 && clock.pending() < pendingTimers; i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(clock.pending()).toBe(pendingTimers);
}

/** pod-a started first (it leads after its first round), then pod-b. */
async function startedPair() {
  const a = candidate('pod-a');
  const b = candidate('pod-b');
  a.elector.start();
  await firstRound(1);
  b.elector.start();
  await firstRound(2);
  return { a, b };
}

describe('LeaderElector', () => {
  it('creates the Lease when it is absent and leads: holder, duration, times, 0 transitions', async () => {
    const a = candidate('pod-a');
    expect(a.elector.isLeader()).toBe(false);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.changes).toEqual([true]);
    expect(leaseSpec()).toEqual({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: micro(T0), renewTime: micro(T0), leaseTransitions: 0 });
    expect(kube.calls()).toEqual([
      `GET /apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEASE}`,
      `POST /apis/coordination.k8s.io/v1/namespaces/${NS}/leases?fieldManager=aiops-self-healing`,
    ]);
  });

  it('renews with a conditional PUT: renewTime moves, acquireTime and leaseTransitions stay', async () => {
    const a = candidate('pod-a');
    await a.elector.tryAcquireOrRenew();
    await clock.advance(5000);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(leaseSpec()).toMatchObject({ holderIdentity: 'pod-a', acquireTime: micro(T0), renewTime: micro(T0 + 5000), leaseTransitions: 0 });
    const put = kube.requests.find((r) => r.method === 'PUT')!;
    expect((put.body as { metadata: { resourceVersion?: string } }).metadata.resourceVersion).toBeDefined();
    expect(a.changes).toEqual([true]);
  });

  it('two candidates started on one Lease: exactly one leads at every moment, the other follows', async () => {
    const { a, b } = await startedPair();
    for (let second = 0; second < 60; second += 1) {
      await clock.advance(1000);
      expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    }
    expect(b.changes).toEqual([]);
    // Both renewed or polled every 5 s: 12 rounds each in 60 s, plus the first.
    expect(kube.requests.filter((r) => r.method === 'GET')).toHaveLength(26);
    expect(leaseSpec()).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 0 });
  });

  it('of two candidates racing for an absent Lease, one wins and the other gets a conflict', async () => {
    const a = candidate('pod-a');
    const b = candidate('pod-b');
    const results = await Promise.all([a.elector.tryAcquireOrRenew(), b.elector.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(kube.requests.filter((r) => r.method === 'POST').map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('takes over a Lease whose holder stopped renewing only after it expired, and counts the transition', async () => {
    const a = candidate('pod-a');
    const b = candidate('pod-b');
    await a.elector.tryAcquireOrRenew();
    // pod-a dies: it never runs another round. Its own view lapses after the renew deadline (10 s).
    await clock.advance(9_999);
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.elector.isLeader()).toBe(false);
    // The Lease is not expired at exactly renewTime + 15 s…
    await clock.advance(5_000);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    // …and is 1 ms later.
    await clock.advance(1);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    expect(b.changes).toEqual([true]);
    expect(leaseSpec()).toEqual({
      holderIdentity: 'pod-b',
      leaseDurationSeconds: 15,
      acquireTime: micro(T0 + 15_001),
      renewTime: micro(T0 + 15_001),
      leaseTransitions: 1,
    });
    // pod-a comes back: it sees pod-b's fresh Lease and follows (and says so).
    expect(await a.elector.tryAcquireOrRenew()).toBe(false);
    expect(a.changes).toEqual([true, false]);
  });

  it('releases the Lease on stop so that the successor takes over at its next round, without waiting for expiry', async () => {
    const { a, b } = await startedPair();
    await clock.advance(1000);
    await a.elector.stop();
    expect(a.changes).toEqual([true, false]);
    expect(leaseSpec()?.['holderIdentity']).toBeUndefined();
    expect(clock.pending()).toBe(1);
    // b's next round is due at +5 s after its first: far before a's Lease would have expired (+15 s).
    await clock.advance(4000);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.changes).toEqual([true]);
    expect(leaseSpec()).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
  });

  it('steps down when renewing fails for the renew deadline, before anyone may take over', async () => {
    const errors: unknown[] = [];
    const a = candidate('pod-a', { onError: (e) => errors.push(e) });
    a.elector.start();
    await firstRound(1);
    const remove = kube.intercept((r) => (r.path.includes('/leases') ? { status: 500, body: { kind: 'Status', reason: 'InternalError', message: 'etcd down', code: 500 } } : undefined));
    await clock.advance(5000);
    expect(a.elector.isLeader()).toBe(true);
    expect(errors).toHaveLength(1);
    await clock.advance(5000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.changes).toEqual([true, false]);
    remove();
    await clock.advance(5000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.changes).toEqual([true, false, true]);
    expect(leaseSpec()).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 0 });
  });

  it('stops its rounds on stop (no timer left) and reports throwing listeners to onError', async () => {
    const errors: unknown[] = [];
    const a = candidate('pod-a', { onError: (e) => errors.push(e) });
    a.elector.onChange(() => {
      throw new Error('listener failed');
    });
    a.elector.start();
    await firstRound(1);
    expect(errors.map((e) => (e as Error).message)).toEqual(['listener failed']);
    await a.elector.stop();
    expect(clock.pending()).toBe(0);
    const count = kube.requests.length;
    await clock.advance(60_000);
    expect(kube.requests).toHaveLength(count);
  });

  it('refuses timings where a leader could still act after its Lease expired', () => {
    expect(() => new LeaderElector({ client, namespace: NS, name: LEASE, identity: 'a', renewDeadlineMs: 15_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ client, namespace: NS, name: LEASE, identity: 'a', renewIntervalMs: 10_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ client, namespace: NS, name: LEASE, identity: '' })).toThrow('identity');
  });
});
