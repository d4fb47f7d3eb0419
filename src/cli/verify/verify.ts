import { driftOf, type Drift, type KubeJson } from './compare.js';
import { ROLLOUT_KINDS, rolloutOf, type Rollout } from './rollout.js';

/** What verify reads of the cluster: the live object, or undefined when it does not exist. */
export interface ClusterReader {
  read(object: KubeJson): Promise<KubeJson | undefined>;
}

/** One rendered object against the cluster. */
export interface ObjectCheck {
  /** `Kind namespace/name` (`Kind name` when cluster-scoped). */
  readonly id: string;
  readonly missing: boolean;
  readonly drift: readonly Drift[];
  /** Workloads only: their last rollout state. */
  readonly rollout?: Rollout;
}

/** The outcome of a verify run. */
export interface VerifyReport {
  readonly checks: readonly ObjectCheck[];
  /** Every object exists, nothing drifted, every rollout done. */
  readonly ok: boolean;
  /** Rollouts still not done when the time ran out. */
  readonly timedOut: boolean;
}

/** Options of {@link verifyCluster}. */
export interface VerifyOptions {
  /** How long to wait for the rollouts, in milliseconds (default 300,000; 0 checks once). */
  readonly timeoutMs?: number;
  /** Between two readings of the rollouts (default 2,000 ms). */
  readonly intervalMs?: number;
  /** Called after every reading of the rollouts still waited for (the progress display). */
  readonly onProgress?: (waiting: readonly ObjectCheck[], elapsedMs: number) => void;
  /** Injected for tests (default: setTimeout). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const idOf = (o: KubeJson) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * Compares every rendered object with the cluster (missing, drift that matters: see driftOf), then
 * waits until every workload that exists has rolled out, reading them again every interval, up to
 * the timeout. Objects are read one after another (a render has ≈ 100).
 */
export async function verifyCluster(objects: readonly KubeJson[], cluster: ClusterReader, options: VerifyOptions = {}): Promise<VerifyReport> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const intervalMs = options.intervalMs ?? 2_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => Date.now());
  const scaled = new Set(
    objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => {
      const target = (o.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      return `${target.kind} ${o.metadata.namespace}/${target.name}`;
    }),
  );
  const checks = new Map<string, ObjectCheck>();
  for (const object of objects) {
    const live = await cluster.read(object);
    const id = idOf(object);
    if (!live) {
      checks.set(id, { id, missing: true, drift: [] });
      continue;
    }
    checks.set(id, { id, missing: false, drift: driftOf(object, live, scaled.has(id)), ...(ROLLOUT_KINDS.has(object.kind) ? { rollout: rolloutOf(live) } : {}) });
  }
  const started = now();
  const waiting = () => [...checks.values()].filter((c) => c.rollout && !c.rollout.done);
  while (waiting().length > 0 && now() - started < timeoutMs) {
    options.onProgress?.(waiting(), now() - started);
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - (now() - started))));
    for (const check of waiting()) {
      const object = objects.find((o) => idOf(o) === check.id)!;
      const live = await cluster.read(object);
      checks.set(check.id, live ? { ...check, rollout: rolloutOf(live) } : { ...check, missing: true });
    }
  }
  const all = [...checks.values()];
  const timedOut = waiting().length > 0;
  return { checks: all, timedOut, ok: !timedOut && all.every((c) => !c.missing && c.drift.length === 0) };
}

/** The report as text: problems first (missing, drift, rollouts not done), then each workload's readiness. */
export function verifyReportText(report: VerifyReport): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    if (check.missing) lines.push(`missing: ${check.id}`);
    for (const d of check.drift) lines.push(`drift: ${check.id} ${d.field}: rendered ${JSON.stringify(d.rendered)}, live ${JSON.stringify(d.live)}`);
  }
  const workloads = report.checks.filter((c) => c.rollout);
  if (workloads.length > 0) {
    lines.push('', 'WORKLOAD'.padEnd(Math.max(...workloads.map((c) => c.id.length)) + 2) + 'READY  STATE');
    for (const check of workloads) {
      const { ready, desired, done, waitingFor } = check.rollout!;
      lines.push(`${check.id.padEnd(Math.max(...workloads.map((c) => c.id.length)) + 2)}${`${ready}/${desired}`.padEnd(7)}${done ? 'rolled out' : waitingFor}`);
    }
  }
  const missing = report.checks.filter((c) => c.missing).length;
  const drifted = report.checks.filter((c) => c.drift.length > 0).length;
  lines.push(
    '',
    report.ok
      ? `OK: ${report.checks.length} objects present, no drift, ${workloads.length} workloads rolled out`
      : `NOT OK: ${missing} missing, ${drifted} drifted${report.timedOut ? `, ${workloads.filter((c) => !c.rollout!.done).length} workloads not rolled out in time` : ''}`,
  );
  return lines.join('\n').replace(/^\n/, '');
}
