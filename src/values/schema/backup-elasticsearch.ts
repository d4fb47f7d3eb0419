import * as z from 'zod';
import { addCrossFieldIssue } from '../issues.js';
import { storageClassName } from './common.js';
import { defaultText } from './describe.js';
import { objectName, quantityOrNumber } from './primitives.js';
import type { Profile } from './profile.js';

/**
 * `backup.elasticsearch.*`: Elasticsearch snapshots into a repository the setup Job registers, a
 * filesystem volume shared by every node (`fs`) or an S3-compatible bucket (`s3`). Every value
 * that reaches elasticsearch.yml (where Elasticsearch would expand `${…}`), a JSON body or a URL
 * path is checked here for the strict subset S3 and Elasticsearch accept.
 */

/** A repository name: Elasticsearch refuses whitespace, `,#\/*?"<>|` and a leading `_`; a URL path segment too, so this strict subset. */
const REPOSITORY = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** An S3 bucket name (AWS general-purpose rules): 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** A DNS name or IPv4 address, with an optional port: what the repository-s3 client's `endpoint` takes besides `protocol`. */
const ENDPOINT = /^(?<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)(?::(?<port>\d{1,5}))?$/;
/** An AWS region style name (us-east-1, eu-central-1, or an S3-compatible service's own such as garage). */
const REGION = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A key prefix of '/'-separated segments of letters, digits, '.', '_' and '-' (none only dots), no leading or trailing '/'. */
const BASE_PATH_SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;
/** A Secret key (what the API server accepts for data keys). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Why `bucket` is not a bucket name S3 accepts, or undefined. */
export function bucketProblem(bucket: string): string | undefined {
  if (!BUCKET.test(bucket)) return 'expected 3-63 lower-case letters, digits, \'.\' and \'-\', starting and ending with a letter or digit';
  if (bucket.includes('..') || bucket.includes('.-') || bucket.includes('-.')) return 'expected no two adjacent periods and no period next to a hyphen';
  if (IPV4.test(bucket)) return 'expected a name, not an IP address';
  if (bucket.startsWith('xn--') || bucket.startsWith('sthree-') || bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3')) return 'expected none of the prefixes xn-- and sthree- nor the suffixes -s3alias and --ol-s3, which S3 reserves';
  return undefined;
}

/** The host and port of an endpoint value, or a problem. */
export function parseEndpoint(endpoint: string): { host: string; port: number | undefined } | string {
  const m = ENDPOINT.exec(endpoint);
  if (!m?.groups) return 'expected host[:port] without a scheme (protocol is its own key), such as minio.storage.svc.cluster.local:9000 or s3.eu-central-1.amazonaws.com';
  const host = m.groups['host']!;
  if (host.length > 253) return 'expected a host name of at most 253 characters';
  const port = m.groups['port'] === undefined ? undefined : Number(m.groups['port']);
  if (port !== undefined && (port < 1 || port > 65535)) return `expected a port 1-65535, found ${port}`;
  return { host, port };
}

/** Why `path` is not a base path the chart accepts, or undefined. */
export function basePathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  if (path.length > 512) return 'expected at most 512 characters';
  const bad = path.split('/').find((segment) => !BASE_PATH_SEGMENT.test(segment) || /^\.+$/.test(segment));
  return bad === undefined ? undefined : `expected segments of letters, digits, '.', '_' and '-' joined by '/', without a leading, trailing or doubled '/' and no segment of only dots; found the segment ${JSON.stringify(bad)}`;
}

const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', input: value, message: `${message}, found ${JSON.stringify(value)}` });
  });

const secretKey = (what: string, fallback: string) =>
  z
    .string()
    .regex(SECRET_KEY, { error: (i) => `expected a Secret key (letters, digits, '-', '_' and '.'), found ${JSON.stringify(i.input)}` })
    .default(fallback)
    .describe(`Key of s3.existingSecret holding ${what} (default ${fallback}).`);

export function elasticsearchBackupSchema(p: Profile) {
  const size = p.pick('20Gi', '100Gi');
  return z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('With backup.enabled, snapshot Elasticsearch (when it is rendered) on backup.schedule, keeping backup.keep snapshots (default true).'),
      repository: z
        .string()
        .regex(REPOSITORY, { error: (i) => `expected a repository name of lower-case letters, digits, '_' and '-' (at most 63, starting with a letter or digit), found ${JSON.stringify(i.input)}` })
        .default('aiops-platform-backups')
        .describe('Name of the snapshot repository the setup Job registers (default aiops-platform-backups); snapshots are named <release>-<UTC date and time>.'),
      type: z
        .enum(['fs', 's3'])
        .default('fs')
        .describe('Repository type (default fs): fs, a volume every Elasticsearch node mounts (ReadWriteMany for more than one node); s3, an S3-compatible bucket through the bundled repository-s3 module.'),
      fs: z
        .strictObject({
          size: quantityOrNumber.default(size).describe(`Size of the snapshot volume, the PersistentVolumeClaim <release>-elasticsearch-snapshots (default ${defaultText('20Gi', '100Gi')}).`),
          storageClass: storageClassName
            .default('')
            .describe('Storage class of the snapshot volume; empty uses global.storageClass, then the cluster default (default ""). With more than one node it must provide ReadWriteMany (NFS, CephFS, EFS, Azure Files…).'),
          accessMode: z
            .enum(['ReadWriteOnce', 'ReadWriteMany'])
            .default('ReadWriteOnce')
            .describe('Access mode of the snapshot volume: every node mounts it, so more than one node (elasticsearch.replicas) needs ReadWriteMany; ReadWriteOnce is enough for one (default ReadWriteOnce).'),
        })
        .prefault({})
        .describe('The fs repository: one volume mounted at path.repo on every node.'),
      s3: z
        .strictObject({
          bucket: checked((b) => (b === '' ? undefined : bucketProblem(b))).default('').describe('Bucket of the s3 repository, which must exist (default "": required with type s3).'),
          endpoint: checked((e) => {
            if (e === '') return undefined;
            const parsed = parseEndpoint(e);
            return typeof parsed === 'string' ? parsed : undefined;
          })
            .default('')
            .describe('host[:port] of an S3-compatible service (MinIO, Ceph RGW…) (default "": AWS S3 itself).'),
          protocol: z.enum(['https', 'http']).default('https').describe('Protocol to the endpoint, http only for a service inside a trusted network (default https).'),
          region: z
            .string()
            .regex(REGION, { error: (i) => `expected a region such as us-east-1 (lower-case letters, digits and '-'), found ${JSON.stringify(i.input)}` })
            .or(z.literal(''))
            .default('')
            .describe('Signing region, for S3-compatible services that need one other than us-east-1 (default "": the client\'s own guess).'),
          basePath: checked(basePathProblem).default('').describe('Key prefix of the repository inside the bucket, e.g. aiops/elasticsearch (default "": the bucket\'s root).'),
          pathStyleAccess: z.boolean().default(false).describe('Address the bucket as endpoint/bucket rather than bucket.endpoint, as most S3-compatible services need (default false).'),
          existingSecret: objectName
            .optional()
            .describe('Existing Secret with the access key and the secret key, which the Elasticsearch nodes add to their keystore at every start (default: none: required with type s3; credentials never go into values).'),
          accessKeyKey: secretKey('the access key id', 'access-key'),
          secretKeyKey: secretKey('the secret access key', 'secret-key'),
        })
        .prefault({})
        .describe('The s3 repository: bucket, endpoint and the Secret with the keys (the nodes need egress to the endpoint).'),
    })
    .prefault({})
    .superRefine((v, ctx) => {
      if (v.type !== 's3') return;
      if (v.s3.bucket === '') {
        addCrossFieldIssue(ctx, { path: ['s3', 'bucket'], involves: [['type']], input: '', message: 'type s3 needs a bucket: set backup.elasticsearch.s3.bucket' });
      }
      if (!v.s3.existingSecret) {
        addCrossFieldIssue(ctx, {
          path: ['s3', 'existingSecret'],
          involves: [['type']],
          input: undefined,
          message: 'type s3 needs the Secret with the access key and secret key: set backup.elasticsearch.s3.existingSecret (and accessKeyKey, secretKeyKey when its keys are named otherwise)',
        });
      }
    })
    .describe(
      'Elasticsearch snapshots (with backup.enabled): the setup Job registers the repository and, with security on, the snapshot_manager user (Secret key snapshot-manager-password, which an elasticsearch.auth.existingSecret must then hold); the CronJob <release>-elasticsearch-backup takes a snapshot and deletes the oldest beyond backup.keep.',
    );
}

/**
 * Root rule: every Elasticsearch node mounts the fs repository's volume, so a cluster of more
 * than one node needs a ReadWriteMany volume (a ReadWriteOnce one would keep the other nodes'
 * pods from starting, or from seeing the same files).
 */
export function refineElasticsearchSnapshotVolume(
  v: { elasticsearch: { enabled: boolean; replicas: number }; backup: { enabled: boolean; elasticsearch: { enabled: boolean; type: string; fs: { accessMode: string } } } },
  ctx: z.RefinementCtx,
): void {
  const b = v.backup;
  if (!v.elasticsearch.enabled || !b.enabled || !b.elasticsearch.enabled || b.elasticsearch.type !== 'fs') return;
  if (v.elasticsearch.replicas > 1 && b.elasticsearch.fs.accessMode !== 'ReadWriteMany') {
    addCrossFieldIssue(ctx, {
      path: ['backup', 'elasticsearch', 'fs', 'accessMode'],
      involves: [['elasticsearch', 'replicas'], ['backup', 'enabled']],
      input: b.elasticsearch.fs.accessMode,
      message: `elasticsearch.replicas is ${v.elasticsearch.replicas} and every node mounts the fs snapshot volume: set backup.elasticsearch.fs.accessMode: ReadWriteMany with a backup.elasticsearch.fs.storageClass that provides it, or backup.elasticsearch.type: s3, or backup.elasticsearch.enabled: false`,
    });
  }
}
