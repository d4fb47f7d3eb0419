import type { KubeClient } from './client.js';
import { kubeMicroTime, parseKubeTime } from './time.js';
import type { Lease } from './types.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it, so that of several
 * replicas one acts at a time:
 * - every `renewIntervalMs` (default a third of the lease duration) each candidate reads the Lease;
 * - it takes the Lease when it is absent, has no holder, or has expired
 *   (`renewTime + leaseDurationSeconds < now`); taking it from another holder increments
 *   `leaseTransitions`; the holder renews by writing `renewTime`;
 * - writes are conditional (resourceVersion): of two candidates racing, one gets a 409 and stays follower;
 * - a leader that cannot renew for `renewDeadlineMs` (default two thirds of the duration) steps
 *   down, before any other candidate may consider the Lease expired;
 * - `stop()` releases the Lease (clears holderIdentity) so a successor takes over at its next round.
 * Expiry compares the holder's renewTime with the local clock: pod clocks must agree to well
 * within `leaseDuration − renewDeadline` (5 s by default), as NTP-synchronized nodes do.
 */

/** Default lease duration: 15 s (client-go's default). */
export const DEFAULT_LEASE_DURATION_SECONDS = 15;

/** Time and timers, injectable so that tests run without waiting. */
export interface ElectorClock {
  now(): number;
  /** Calls `fn` after `ms` (a test clock may call it at once and await what it returns). */
  setTimeout(fn: () => unknown, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: ElectorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The Lease calls of {@link KubeClient} the elector uses. */
export type LeaseClient = Pick<KubeClient, 'getLease' | 'createLease' | 'replaceLease'>;

export interface LeaderElectorOptions {
  readonly client: LeaseClient;
  readonly namespace: string;
  /** Lease name, e.g. `<release>-self-healing`. */
  readonly name: string;
  /** This candidate's holderIdentity: the pod name. */
  readonly identity: string;
  /** Default {@link DEFAULT_LEASE_DURATION_SECONDS}. */
  readonly leaseDurationSeconds?: number;
  /** Time between two rounds. Default leaseDurationSeconds / 3 (5 s). */
  readonly renewIntervalMs?: number;
  /** A leader that could not renew for this long steps down. Default leaseDurationSeconds × 2/3 (10 s). */
  readonly renewDeadlineMs?: number;
  /** Default {@link systemClock}. */
  readonly clock?: ElectorClock;
  /** Failed rounds and throwing listeners end up here (they never stop the loop). Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

export class LeaderElector {
  private readonly client: LeaseClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewIntervalMs: number;
  private readonly renewDeadlineMs: number;
  private readonly clock: ElectorClock;
  private readonly onError: (error: unknown) => void;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private leader = false;
  /** Local time at the start of the last round that renewed the Lease. */
  private renewedAt = -Infinity;
  private running = false;
  private timer: unknown;
  private round: Promise<unknown> | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.client = opts.client;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
    const durationMs = this.leaseDurationSeconds * 1000;
    this.renewIntervalMs = opts.renewIntervalMs ?? durationMs / 3;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? (durationMs * 2) / 3;
    this.clock = opts.clock ?? systemClock;
    this.onError = opts.onError ?? (() => {});
    if (!opts.identity) throw new TypeError('LeaderElector: identity (the pod name) is required');
    if (!(this.renewIntervalMs > 0 && this.renewIntervalMs < this.renewDeadlineMs && this.renewDeadlineMs < durationMs)) {
      throw new RangeError(
        `LeaderElector: need 0 < renewIntervalMs (${this.renewIntervalMs}) < renewDeadlineMs (${this.renewDeadlineMs}) < leaseDurationSeconds × 1000 (${durationMs})`,
      );
    }
  }

  /** True while this candidate holds the Lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.leader && this.clock.now() - this.renewedAt < this.renewDeadlineMs;
  }

  /** Calls `listener(true)` on becoming leader and `listener(false)` on losing it. Returns the unsubscribe. */
  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the rounds: the first at once, then every renewIntervalMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  /** Stops the rounds and, when leading, releases the Lease so that a successor takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    if (!this.leader) return;
    try {
      const lease = await this.client.getLease(this.namespace, this.name);
      if (lease?.spec?.holderIdentity === this.identity) {
        const spec = { ...lease.spec, holderIdentity: undefined, renewTime: kubeMicroTime(this.clock.now()) };
        await this.client.replaceLease(this.namespace, { ...lease, spec });
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.setLeader(false);
    }
  }

  /** One round: read the Lease, then renew it, take it or stay follower. Resolves to {@link isLeader}. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    try {
      const lease = await this.client.getLease(this.namespace, this.name);
      const result = lease ? await this.takeOrRenew(lease, now) : await this.client.createLease(this.namespace, this.newLease(now));
      if (result === undefined || result.outcome === 'conflict') {
        this.setLeader(false);
      } else {
        this.renewedAt = now;
        this.setLeader(true);
      }
    } catch (error) {
      this.onError(error);
      if (this.clock.now() - this.renewedAt >= this.renewDeadlineMs) this.setLeader(false);
    }
    return this.isLeader();
  }

  /** Writes the Lease when it is ours, free or expired; undefined when another holder has it. */
  private async takeOrRenew(lease: Lease, now: number) {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === this.identity;
    const duration = (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    const expired = !(parseKubeTime(spec.renewTime) + duration >= now);
    if (!ours && holder !== '' && !expired) return undefined;
    const transitions = spec.leaseTransitions ?? 0;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : kubeMicroTime(now),
        renewTime: kubeMicroTime(now),
        leaseTransitions: ours ? transitions : transitions + 1,
      },
    };
    return this.client.replaceLease(this.namespace, next);
  }

  private newLease(now: number): Lease {
    return {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: kubeMicroTime(now),
        renewTime: kubeMicroTime(now),
        leaseTransitions: 0,
      },
    };
  }

  private async loop(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    this.round = this.tryAcquireOrRenew();
    await this.round;
    this.round = undefined;
    if (this.running) this.timer = this.clock.setTimeout(() => this.loop(), this.renewIntervalMs);
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const listener of this.listeners) {
      try {
        listener(leader);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
