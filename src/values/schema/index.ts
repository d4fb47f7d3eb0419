import * as z from 'zod';
import { aiEngineSchema, apiGatewaySchema, selfHealingSchema } from './aiops.js';
import { backupSchema, refinePrometheusSnapshotVolume } from './backup.js';
import { refineElasticsearchSnapshotVolume } from './backup-elasticsearch.js';
import { postgresqlSchema, redisSchema } from './data.js';
import { traefikSchema } from './edge.js';
import { globalSchema } from './global.js';
import { ingressSchema } from './ingress.js';
import { refineIngressPaths, ROUTED_SLICES } from './ingress-routes.js';
import { whenValid } from '../issues.js';
import { elasticsearchSchema, refineDiskCleanupTarget, refineElasticsearchSysctl } from './elasticsearch.js';
import { filebeatSchema, kibanaSchema, logstashSchema } from './logging.js';
import { alertingSchema, alertmanagerSchema, refineReceiverUrls, refineResponseTimeBuckets } from './alerting.js';
import { grafanaSchema, kubeStateMetricsSchema, nodeExporterSchema, prometheusSchema } from './monitoring.js';
import { profileFor, type Profile } from './profile.js';
// zod compiles each object schema's parser with `new Function` on its first parse: a synth parses
// once, and the compile (which no V8 code cache keeps) cost more than it saves: ≈ 40 ms of a
// 190 ms first render; a warm load is as fast without it (≈ 3 ms).
z.config({ jitless: true });
import { networkPolicySchema, podSecurityPolicySchema, secretsSchema } from './security.js';

/**
 * The whole values schema for one profile. Keys and defaults follow the seed; every component has
 * its slice, so every key is validated whether or not its component is rendered yet.
 */
export function buildValuesSchema(p: Profile) {
  return z
    .strictObject({
      global: globalSchema(p),
      ingress: ingressSchema(),
      traefik: traefikSchema(p),
      prometheus: prometheusSchema(p),
      alertmanager: alertmanagerSchema(p),
      grafana: grafanaSchema(p),
      nodeExporter: nodeExporterSchema(p),
      kubeStateMetrics: kubeStateMetricsSchema(p),
      alerting: alertingSchema(),
      elasticsearch: elasticsearchSchema(p),
      logstash: logstashSchema(p),
      filebeat: filebeatSchema(p),
      kibana: kibanaSchema(p),
      redis: redisSchema(p),
      postgresql: postgresqlSchema(p),
      aiEngine: aiEngineSchema(p),
      apiGateway: apiGatewaySchema(p),
      selfHealing: selfHealingSchema(p),
      networkPolicy: networkPolicySchema(p),
      podSecurityPolicy: podSecurityPolicySchema(),
      secrets: secretsSchema(),
      backup: backupSchema(p),
    })
    .prefault({})
    // Root rules: each runs when the slices it reads are valid, whatever the others.
    .superRefine(refineResponseTimeBuckets, whenValid(['alerting'], ['traefik']))
    .superRefine(refineElasticsearchSysctl, whenValid(['elasticsearch'], ['podSecurityPolicy']))
    .superRefine(refineDiskCleanupTarget, whenValid(['elasticsearch'], ['alerting']))
    .superRefine(refineElasticsearchSnapshotVolume, whenValid(['elasticsearch'], ['backup']))
    .superRefine(refinePrometheusSnapshotVolume, whenValid(['prometheus'], ['backup']))
    .superRefine(refineIngressPaths, whenValid(['ingress'], ...ROUTED_SLICES.map((slice) => [slice, 'enabled'])))
    .superRefine(refineReceiverUrls, whenValid(['global'], ['secrets'], ['alertmanager']));
}

const built = new Map<boolean, ValuesSchema>();

/**
 * The values schema of a profile, built once per process (it is immutable; zod compiles a schema's
 * fast path on its first parse, so a rebuilt schema paid that again on every load: ≈ 10 ms of a
 * warm render). zod copies a default only one level deep: loadValues deep-copies its result.
 */
export function valuesSchemaFor(p: Profile): ValuesSchema {
  let schema = built.get(p.development);
  if (!schema) built.set(p.development, (schema = buildValuesSchema(p)));
  return schema;
}

/** The schema type (the same for both profiles; only defaults differ). */
type ValuesSchema = ReturnType<typeof buildValuesSchema>;

/** Fully defaulted, validated values as the chart consumes them. */
export type Values = z.output<ValuesSchema>;

/** Values as a user may write them. */
export type ValuesInput = z.input<ValuesSchema>;

/** Picks the profile from raw (not yet validated) values: `global.development`, default true. */
export function profileOfRaw(raw: unknown): Profile {
  const development = (raw as { global?: { development?: unknown } } | undefined)?.global?.development;
  return profileFor(typeof development === 'boolean' ? development : true);
}

export { profileFor, type Profile };
