import { KubeClient, LeaderElector } from '../kit/kubernetes.js';
import type { Logger } from '../kit/log.js';

/**
 * Which AI engine replica writes. Every replica runs every source (each answers the API from its
 * own detectors, learnt from the same data), but only the holder of the Lease posts alerts to
 * Alertmanager, writes the anomaly history and saves the hot state, so that Alertmanager sees one
 * stream and each Redis key has one writer. Without a Lease name (one replica, a developer's
 * machine) this replica always writes.
 */
export interface Leadership {
  /** True while this replica writes. */
  isLeader(): boolean;
  /** Calls `listener` with each change (true: became the writer). */
  onChange(listener: (leader: boolean) => void): void;
  start(): void;
  /** Stops, releasing the Lease so that another replica takes over at once. */
  stop(): Promise<void>;
}

/** What {@link leadership} needs. */
export interface LeadershipOptions {
  /** The Lease (`<release>-ai-engine`); undefined: always the writer. */
  readonly leaseName: string | undefined;
  readonly namespace: string;
  /** This replica's holder identity: the pod name. */
  readonly identity: string;
  readonly kubernetes: { readonly apiUrl: string | undefined; readonly tokenFile: string };
  readonly log: Logger;
}

/** The writer role of this replica: by the Lease when named, else always. */
export function leadership(o: LeadershipOptions): Leadership {
  if (o.leaseName === undefined) {
    return { isLeader: () => true, onChange: (listener) => listener(true), start: () => {}, stop: async () => {} };
  }
  const elector = new LeaderElector({
    client: new KubeClient({ baseUrl: o.kubernetes.apiUrl, tokenFile: o.kubernetes.tokenFile }),
    namespace: o.namespace,
    name: o.leaseName,
    identity: o.identity,
    onError: (err) => o.log.warn({ err, lease: o.leaseName }, 'Lease round failed'),
  });
  elector.onChange((leader) =>
    o.log.info({ lease: o.leaseName, leader }, leader ? 'holding the Lease: alerting, writing the history and the hot state' : 'not holding the Lease: detecting and serving only'),
  );
  return {
    isLeader: () => elector.isLeader(),
    onChange: (listener) => void elector.onChange(listener),
    start: () => elector.start(),
    stop: () => elector.stop(),
  };
}
