import { FIELD_MANAGER } from './client.js';
import { kubeMicroTime, kubeTime } from './time.js';
import type { KubeEvent } from './types.js';

/** Longest Event message the API server accepts: 1024 bytes (UTF-8). */
export const EVENT_MESSAGE_LIMIT = 1024;
/** Longest reason, action and reportingInstance the API server accepts: 128 characters. */
export const EVENT_FIELD_LIMIT = 128;

/** What an audit Event says and about which object. */
export interface EventInput {
  /** The object the Event is about; its namespace is the Event's namespace. */
  readonly involvedObject: {
    readonly kind: string;
    readonly name: string;
    readonly namespace: string;
    readonly apiVersion?: string;
    readonly uid?: string;
  };
  /** UpperCamelCase reason, e.g. `PodEvicted` (cut to 128 characters). */
  readonly reason: string;
  /** What was done, e.g. `Evict` (cut to 128 characters). The API server requires it on Events with an eventTime. */
  readonly action: string;
  /** Human-readable text (cut to 1024 UTF-8 bytes, ending with `…`). */
  readonly message: string;
  readonly type: 'Normal' | 'Warning';
  /** The executor's pod name (reportingInstance, cut to 128 characters). */
  readonly reportingInstance: string;
  /** When it happened (epoch ms). Default now. */
  readonly time?: number;
}

/** `text` cut to at most `limit` UTF-8 bytes, never inside a character, ending with `…` when cut. */
export function truncateUtf8(text: string, limit: number): string {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  let out = '';
  let bytes = Buffer.byteLength('…', 'utf8');
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > limit) break;
    out += char;
    bytes += size;
  }
  return `${out}…`;
}

/**
 * A core/v1 Event that passes the API server's validation: namespace = the involved object's,
 * `generateName` `<object>.` (the server appends 5 characters), source.component and
 * reportingComponent `aiops-self-healing`, eventTime (MicroTime) with first/lastTimestamp, count 1.
 */
export function buildEvent(input: EventInput): KubeEvent {
  const time = input.time ?? Date.now();
  const { involvedObject } = input;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involvedObject.name.slice(0, 247)}.`, namespace: involvedObject.namespace },
    involvedObject: { ...involvedObject },
    reason: input.reason.slice(0, EVENT_FIELD_LIMIT),
    action: input.action.slice(0, EVENT_FIELD_LIMIT),
    message: truncateUtf8(input.message, EVENT_MESSAGE_LIMIT),
    type: input.type,
    source: { component: FIELD_MANAGER },
    reportingComponent: FIELD_MANAGER,
    reportingInstance: input.reportingInstance.slice(0, EVENT_FIELD_LIMIT),
    firstTimestamp: kubeTime(time),
    lastTimestamp: kubeTime(time),
    eventTime: kubeMicroTime(time),
    count: 1,
  };
}
