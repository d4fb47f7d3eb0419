import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** What the service's logger needs: its name, the level (LOG_LEVEL) and the pod it runs in. */
export interface LoggerOptions {
  readonly service: string;
  readonly level: string;
  readonly podName?: string | undefined;
  readonly podNamespace?: string | undefined;
  /** Where the JSON lines go: stdout by default (tests pass a stream to read them). */
  readonly destination?: DestinationStream | undefined;
}

/**
 * Structured JSON logs, one object per line: `level` as a word, ISO `time`, `service`, the pod,
 * then the fields of the call. Request handlers log through a child carrying `requestId`.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const base: Record<string, string> = { service: opts.service };
  if (opts.podName) base['pod'] = opts.podName;
  if (opts.podNamespace) base['namespace'] = opts.podNamespace;
  return pino(
    {
      level: opts.level,
      base,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Never log credentials even if a caller passes the headers.
      redact: { paths: ['headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie'], censor: '(hidden)' },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
