import { z } from 'zod';
import { persistenceFields, resolvePersistence } from './common.js';
import { IMAGES } from './images.js';
import type { Profile } from './profile.js';
import { quantityOrNumber } from './primitives.js';
import { autoscaling, passwordAuth, replicaField, sidecarExporter, sized, workloadFields } from './workload.js';

/** `elasticsearch.*` */
export const elasticsearchSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.elasticsearch,
        resources: { development: sized('500m', '2Gi', '2Gi'), production: sized('1', '4Gi', '4Gi') },
      }),
      ...replicaField(p, 1, 3),
      /** JVM heap; default: half the memory limit, capped at 31g. */
      heapSize: quantityOrNumber.optional(),
      /** X-Pack security with the `elastic` user. */
      auth: passwordAuth('X-Pack security with the elastic user', 'elastic-password'),
      /** Delete log indices older than this many days (default 7 in development, 30 in production). */
      retentionDays: z.number().int().min(1).default(p.pick(7, 30)),
      sysctlInitContainer: z
        .strictObject({
          /** Privileged init container that raises vm.max_map_count so mmap can be used (default false: mmap off). */
          enabled: z.boolean().default(false),
        })
        .prefault({}),
      exporter: sidecarExporter(p, IMAGES.elasticsearchExporter),
      ...persistenceFields,
    })
    .prefault({})
    .transform((v, ctx) => resolvePersistence(v, p.pick('10Gi', '100Gi'), ctx));

/** `logstash.*` */
export const logstashSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.logstash,
        resources: { development: sized('250m', '1Gi', '1Gi'), production: sized('1', '2Gi', '2Gi') },
      }),
      ...replicaField(p, 1, 2),
      /** JVM heap; default: half the memory limit. */
      heapSize: quantityOrNumber.optional(),
      autoscaling: autoscaling(p, { development: 2, production: 6 }),
    })
    .prefault({});

/** `filebeat.*`: the node log shipper. */
export const filebeatSchema = (p: Profile) =>
  z
    .strictObject(
      workloadFields(p, {
        image: IMAGES.filebeat,
        resources: { development: sized('50m', '100Mi', '200Mi'), production: sized('100m', '200Mi', '400Mi') },
      }),
    )
    .prefault({});

/** `kibana.*` */
export const kibanaSchema = (p: Profile) =>
  z
    .strictObject({
      ...workloadFields(p, {
        image: IMAGES.kibana,
        resources: { development: sized('100m', '1Gi', '1Gi'), production: sized('500m', '2Gi', '2Gi') },
      }),
      ...replicaField(p, 1, 2),
    })
    .prefault({});
