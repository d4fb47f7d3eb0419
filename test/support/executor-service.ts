import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RulesFile } from '../../src/core/self-healing-rules.js';
import { startService, type RunningService } from '../../src/services/kit/run.js';
import { selfHealingService } from '../../src/services/self-healing/service.js';
import type { FakeKubeApi } from './fake-kube-api.js';

/** What the executor tests vary when they start one in-process. */
export interface ExecutorStart {
  /** A temp dir for the rules file and the service-account token. */
  readonly dir: string;
  /** Rules written to `<dir>/<pod>-rules.json`, or the path of a rules file already there. */
  readonly rules: RulesFile | string;
  readonly pod: string;
  readonly namespace: string;
  readonly lease: string;
  readonly webhookToken: string;
  readonly kube: FakeKubeApi;
  readonly prometheusUrl?: string;
  /** The AI engine's URL with its base path (AI_ENGINE_URL). */
  readonly engineUrl?: string;
  /** Further variables (APPROVAL_TOKEN, POSTGRES_*…). */
  readonly env?: Record<string, string>;
  /** Collects the parsed log lines (default: dropped, at level warn). */
  readonly lines?: Record<string, unknown>[];
}

/** Starts the self-healing executor on ephemeral ports on 127.0.0.1 against the fake API server. */
export function startExecutorService(o: ExecutorStart): Promise<RunningService> {
  let rulesFile = o.rules as string;
  if (typeof o.rules !== 'string') {
    rulesFile = join(o.dir, `${o.pod}-rules.json`);
    writeFileSync(rulesFile, JSON.stringify(o.rules));
  }
  const tokenFile = join(o.dir, 'sa-token');
  writeFileSync(tokenFile, o.kube.clientOptions().token);
  return startService(selfHealingService, {
    env: {
      LOG_LEVEL: o.lines ? 'info' : 'warn',
      POD_NAME: o.pod,
      POD_NAMESPACE: o.namespace,
      RULES_FILE: rulesFile,
      WEBHOOK_TOKEN: o.webhookToken,
      LEASE_NAME: o.lease,
      ...(o.prometheusUrl ? { PROMETHEUS_URL: o.prometheusUrl } : {}),
      ...(o.engineUrl ? { AI_ENGINE_URL: o.engineUrl } : {}),
      KUBERNETES_API_URL: o.kube.url,
      KUBERNETES_TOKEN_FILE: tokenFile,
      ...o.env,
    },
    host: '127.0.0.1',
    ephemeralPorts: true,
    logDestination: { write: (line: string) => void o.lines?.push(JSON.parse(line) as Record<string, unknown>) },
  });
}
