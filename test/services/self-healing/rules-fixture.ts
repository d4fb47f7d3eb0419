import { parseRulesFile, type ApprovalMode, type RulesFile } from '../../../src/core/self-healing-rules.js';

/** A rules file like the chart's (namespace `aiops`), with overridable guardrails, dry run and mode. */
export function rulesFixture(o: { dryRun?: boolean; mode?: ApprovalMode; guardrails?: Partial<RulesFile['guardrails']>; cooldown?: string } = {}): RulesFile {
  const cooldown = o.cooldown ?? '5m';
  return parseRulesFile({
    version: 1,
    dryRun: o.dryRun ?? false,
    mode: o.mode ?? 'auto',
    namespace: 'aiops',
    guardrails: { attemptsPerTarget: 3, window: '1h', actionsPerHour: 20, maxConcurrent: 2, approvalTtl: '1h', ...o.guardrails },
    rules: [
      {
        name: 'restart-abnormal-pods',
        description: 'evict',
        match: { action: 'restart-pod' },
        cooldown,
        action: { type: 'evict-pod', podLabel: 'pod', namespaceLabel: 'namespace', namespaces: ['aiops'], excludePods: { matchLabels: { 'app.kubernetes.io/name': 'self-healing' } } },
      },
      {
        name: 'scale-out-high-load',
        description: 'scale',
        match: { action: 'scale-out' },
        cooldown,
        action: {
          type: 'scale',
          step: 1,
          minReplicas: 1,
          maxReplicas: 4,
          targets: [
            { kind: 'Deployment', name: 'rel-api-gateway', alertLabels: { app: 'api-gateway', serviceRegex: 'aiops-rel-api-gateway-[a-z0-9]+@kubernetes' } },
            { kind: 'Deployment', name: 'rel-ai-engine', autoscaler: 'rel-ai-engine', alertLabels: { app: 'ai-engine', serviceRegex: 'aiops-rel-ai-engine-[a-z0-9]+@kubernetes' } },
          ],
        },
      },
      {
        name: 'optimize-database-queries',
        description: 'job',
        match: { action: 'optimize-db' },
        cooldown: o.cooldown ?? '1h',
        action: {
          type: 'create-job',
          skipWhileActive: { matchLabels: { 'app.kubernetes.io/name': 'postgresql-maintenance' } },
          job: { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'rel-postgresql-maintenance-', namespace: 'aiops', labels: { 'app.kubernetes.io/name': 'postgresql-maintenance' } }, spec: { template: {} } },
        },
      },
    ],
  });
}

let fingerprint = 0;
/** A webhook alert; `fingerprint` and `startsAt` identify the incident. */
export function alert(action: string, labels: Record<string, string>, o: { status?: 'firing' | 'resolved'; fingerprint?: string; startsAt?: string } = {}) {
  return {
    status: o.status ?? ('firing' as const),
    labels: { alertname: `Alert-${action}`, action, ...labels },
    startsAt: o.startsAt ?? '2026-12-06T10:00:00Z',
    fingerprint: o.fingerprint ?? (++fingerprint).toString(16).padStart(16, '0'),
  };
}
