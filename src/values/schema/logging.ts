import * as z from 'zod';
import { existingSecret } from './common.js';
import { CREDENTIAL_DEFAULT } from './describe.js';
import { password } from './text.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { quantityOrNumber } from './primitives.js';
import { cpuAutoscaling, replicaField, singlePodWorkloadFields, sized, withMinReplicas, workloadFields } from './workload.js';
import { refineHeapSize } from './elasticsearch.js';

/** `logstash.*`: the beats → Elasticsearch pipeline. */
export const logstashSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        name: 'Logstash',
        image: IMAGES.logstash,
        resources: { development: sized('250m', '768Mi', '768Mi'), production: sized('1', '2Gi', '2Gi') },
      }),
      ...replicaField(p, 1, 2, 'with autoscaling on, the autoscaler\'s default lower bound'),
      heapSize: quantityOrNumber
        .optional()
        .describe('JVM heap (-Xms = -Xmx), at least 256Mi and below the memory limit (default: half the memory limit, or of the request without a limit).'),
      autoscaling: cpuAutoscaling(p, { development: 2, production: 6 }).describe(
        'HorizontalPodAutoscaler of Logstash on CPU utilisation only: its JVM heap is fixed (-Xms = -Xmx) and never given back, so memory would only scale out (default off; production on).',
      ),
    })
    .superRefine(refineHeapSize)
    .prefault({})
    .transform(withMinReplicas)
    .describe('Logstash, the pipeline from Filebeat (beats protocol) to Elasticsearch.');

/**
 * `filebeat.*`: the node log shipper, a DaemonSet in the node agents' namespace. Its pods run on
 * the nodes the scheduling keys allow: add `tolerations` to collect the logs of tainted
 * (control-plane, dedicated) nodes too.
 */
export const filebeatSchema = (p: Profile) =>
  z
    .strictObject(
      singlePodWorkloadFields(p, {
        name: 'Filebeat',
        image: IMAGES.filebeat,
        resources: { development: sized('50m', '100Mi', '200Mi'), production: sized('100m', '200Mi', '400Mi') },
      }),
    )
    .prefault({})
    .describe('Filebeat, the node log shipper: a DaemonSet in the node agents\' namespace; add tolerations to collect tainted nodes\' logs.');

/** A Kibana encryption key: empty (not given) or at least 32 characters, as Kibana requires. */
const kibanaEncryptionKey = (what: string, description: string) =>
  password(what, 'Kibana reads it from a one-line setting')
    .refine((key) => key === '' || key.length >= 32, {
      error: (i) => `${what} must have at least 32 characters (Kibana refuses shorter keys), found ${String(i.input).length}`,
    })
    .default('')
    .describe(`${description}; at least 32 characters ${CREDENTIAL_DEFAULT}.`);

/** `kibana.*`: the Node.js heap is 75 % of `resources.limits.memory` (NODE_OPTIONS --max-old-space-size). */
export const kibanaSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        name: 'Kibana',
        image: IMAGES.kibana,
        resources: { development: sized('100m', '1Gi', '1Gi'), production: sized('500m', '2Gi', '2Gi') },
      }),
      ...replicaField(p, 1, 2),
      encryptionKeys: z
        .strictObject({
          security: kibanaEncryptionKey(
            'the session encryption key',
            'xpack.security.encryptionKey, for the session cookies, Secret key security-encryption-key',
          ),
          savedObjects: kibanaEncryptionKey(
            'the saved objects encryption key',
            'xpack.encryptedSavedObjects.encryptionKey, for alerting rules and connectors, Secret key saved-objects-encryption-key',
          ),
          reporting: kibanaEncryptionKey(
            'the reporting encryption key',
            'xpack.reporting.encryptionKey, for report jobs, Secret key reporting-encryption-key',
          ),
        })
        .prefault({})
        .describe('Encryption keys, the same on every replica and across restarts, so sessions survive a change of pod and encrypted saved objects stay readable.'),
      existingSecret: existingSecret.describe(
        'Existing Secret with keys security-encryption-key, saved-objects-encryption-key and reporting-encryption-key; the chart then renders none (default: none).',
      ),
    })
    .prefault({})
    .describe('Kibana, the log UI (served under /kibana); its Node.js heap is 75 % of resources.limits.memory.');
