import { k8s } from '../../lib/k8s.js';
import { Construct } from 'constructs';
import { checksum } from '../../lib/config-files.js';
import { baseContainer } from '../../lib/container.js';
import { createDisruptionBudget } from '../../lib/disruption.js';
import { metadata } from '../../lib/metadata.js';
import { podTemplate, scrapeAnnotations, secretEnv } from '../../lib/pod.js';
import { execAction, probes } from '../../lib/probes.js';
import { createService } from '../../lib/service.js';
import { createStatefulSet } from '../../lib/statefulset.js';
import { emptyDirVolume } from '../../lib/storage.js';
import { CATALOG } from '../../plan/catalog.js';
import type { ComponentProps } from '../../plan/component.js';
import { postgresqlPlan, type PostgreSqlPlan } from '../../plan/data.js';
import type { Values } from '../../values/schema/index.js';
import { CredentialSecret } from '../shared/credential-secret.js';
import { exporterSidecar } from '../shared/exporter-sidecar.js';
import { postgresqlConf } from './postgresql-config.js';
import { postgresInitScript } from './postgresql-scripts.js';

/** Props of {@link PostgreSql}. */
export type PostgreSqlProps = ComponentProps<Values['postgresql'], PostgreSqlPlan>;


/** How other components reach the database. */
export interface PostgreSqlConnection {
  /** Fully qualified Service host. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  /** Secret holding the application user's password under {@link passwordKey}. */
  readonly secretName: string;
  readonly passwordKey: string;
  /** Key of the `postgres` superuser's password in the same Secret. */
  readonly superuserPasswordKey: string;
}

/**
 * The libpq environment of a client Job that connects as the `postgres` superuser over the
 * Service (maintenance, backup): host, port, the application database, the password from the
 * Secret, `applicationName` in pg_stat_activity, a 10 s connect timeout.
 */
export function superuserClientEnv(connection: PostgreSqlConnection, applicationName: string): k8s.EnvVar[] {
  return [
    { name: 'PGHOST', value: connection.host },
    { name: 'PGPORT', value: String(connection.port) },
    { name: 'PGDATABASE', value: connection.database },
    { name: 'PGUSER', value: 'postgres' },
    secretEnv('PGPASSWORD', connection.secretName, connection.superuserPasswordKey),
    { name: 'PGAPPNAME', value: applicationName },
    { name: 'PGCONNECT_TIMEOUT', value: '10' },
  ];
}

const { id: ID, port: PORT, exporterPort: EXPORTER_PORT } = CATALOG.postgresql;
/** uid/gid of the `postgres` user in the official image (its clients' Jobs run as it too). */
export const POSTGRES_UID = 999;
const DATA_DIR = '/var/lib/postgresql/data';

/**
 * PostgreSQL on the official `postgres` image: StatefulSet `<release>-postgresql` (pod
 * `<release>-postgresql-0`), headless and client Services on 5432, credentials in a Secret, the
 * application user and database created on first start, postgres-exporter sidecar on 9187.
 */
export class PostgreSql extends Construct {
  readonly connection: PostgreSqlConnection;

  constructor(scope: Construct, id: string, props: PostgreSqlProps) {
    super(scope, id);
    const { ctx, values } = props;
    const plan = props.plan ?? postgresqlPlan(ctx, values);
    const { name, headless } = plan;
    const version = values.image.tag;

    const credentials = new CredentialSecret(this, 'credentials', {
      ctx,
      name,
      id: ID,
      existingSecret: values.auth.existingSecret,
      existingSecretPath: 'postgresql.auth.existingSecret',
      entries: [
        { key: 'password', value: values.auth.password, valuesPath: 'postgresql.auth.password' },
        {
          key: 'postgres-password',
          value: values.auth.postgresPassword || values.auth.password,
          valuesPath: values.auth.postgresPassword ? 'postgresql.auth.postgresPassword' : 'postgresql.auth.password',
        },
      ],
    });
    const secretName = credentials.secretName;

    const config = { 'postgresql.conf': postgresqlConf(values), 'init-app-user.sh': postgresInitScript() };
    new k8s.KubeConfigMap(this, 'config', { metadata: metadata(ctx, name, ID, { version }), data: config });

    const postgres: k8s.Container = {
      ...baseContainer(ctx, 'postgresql', values),
      args: ['-c', 'config_file=/etc/postgresql/postgresql.conf'],
      ports: [{ name: 'postgresql', containerPort: PORT, protocol: 'TCP' }],
      env: [
        { name: 'POSTGRES_USER', value: 'postgres' },
        secretEnv('POSTGRES_PASSWORD', secretName, 'postgres-password'),
        { name: 'POSTGRES_DB', value: 'postgres' },
        { name: 'APP_USER', value: values.auth.username },
        secretEnv('APP_PASSWORD', secretName, 'password'),
        { name: 'APP_DATABASE', value: values.auth.database },
        { name: 'PGDATA', value: `${DATA_DIR}/pgdata` },
        { name: 'POSTGRES_INITDB_ARGS', value: '--auth-host=scram-sha-256 --auth-local=trust' },
      ],
      ...probes(execAction(['pg_isready', '-U', 'postgres', '-h', '127.0.0.1', '-p', String(PORT)]), { startupSeconds: 300 }),
      volumeMounts: [
        { name: 'data', mountPath: DATA_DIR },
        { name: 'config', mountPath: '/etc/postgresql', readOnly: true },
        { name: 'config', mountPath: '/docker-entrypoint-initdb.d/init-app-user.sh', subPath: 'init-app-user.sh', readOnly: true },
        { name: 'run', mountPath: '/var/run/postgresql' },
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'shm', mountPath: '/dev/shm' },
      ],
    };

    const containers = [postgres];
    if (plan.exporter) {
      containers.push(
        exporterSidecar(ctx, {
          values: values.exporter,
          port: EXPORTER_PORT,
          env: [
            { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${PORT}/postgres?sslmode=disable` },
            { name: 'DATA_SOURCE_USER', value: 'postgres' },
            secretEnv('DATA_SOURCE_PASS', secretName, 'postgres-password'),
          ],
        }),
      );
    }

    const template = podTemplate(ctx, {
      priority: 'critical',
      id: ID,
      version,
      scheduling: values,
      runAs: { user: POSTGRES_UID },
      containers,
      volumes: [
        { name: 'config', configMap: { name, defaultMode: 0o555 } },
        emptyDirVolume('run', { memory: true, sizeLimit: '16Mi' }),
        emptyDirVolume('tmp', { sizeLimit: '256Mi' }),
        emptyDirVolume('shm', { memory: true, sizeLimit: '256Mi' }),
        ...(values.persistence.enabled ? [] : [emptyDirVolume('data')]),
      ],
      annotations: {
        'checksum/config': checksum(config),
        ...(plan.exporter ? scrapeAnnotations(EXPORTER_PORT) : {}),
      },
      terminationGracePeriodSeconds: 60,
    });

    createStatefulSet(this, ctx, { name, id: ID, version, serviceName: headless, replicas: 1, template, persistence: values.persistence });

    const ports = [{ name: 'postgresql', port: PORT }];
    createService(this, 'headless', ctx, { name: headless, id: ID, ports, headless: true, publishNotReadyAddresses: true });
    createService(this, 'service', ctx, {
      name,
      id: ID,
      ports: plan.exporter ? [...ports, { name: 'metrics', port: EXPORTER_PORT }] : ports,
    });
    if (!ctx.development) createDisruptionBudget(this, ctx, name, ID);

    this.connection = {
      host: plan.host,
      port: PORT,
      database: values.auth.database,
      username: values.auth.username,
      secretName,
      passwordKey: 'password',
      superuserPasswordKey: 'postgres-password',
    };
  }
}
