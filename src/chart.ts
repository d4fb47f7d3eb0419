import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { PostgreSql } from './components/data/postgresql.js';
import { Redis } from './components/data/redis.js';
import { PlatformNamespace } from './components/platform/namespace.js';
import { createPlatformContext } from './lib/context.js';
import type { Values } from './values/schema/index.js';

/** Props of {@link PlatformChart}. */
export interface PlatformChartProps {
  /** Validated values. */
  readonly values: Values;
  /** Release name (default aiops-platform). */
  readonly release: string;
  /** Namespace (default aiops-platform). */
  readonly namespace: string;
}

/**
 * The one chart of the platform: builds the shared context and composes the components. A
 * component plugs in with one folder under src/components and one line here; the chart, not the
 * component, decides whether it is enabled.
 */
export class PlatformChart extends Chart {
  /** Warnings collected while building, in order. */
  readonly warnings: string[] = [];

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { values } = props;
    const ctx = createPlatformContext(values, props.release, props.namespace, (message) => this.warnings.push(message));

    new PlatformNamespace(this, 'namespace', { ctx, enforce: values.podSecurityPolicy.enabled });
    if (values.postgresql.enabled) new PostgreSql(this, 'postgresql', { ctx, values: values.postgresql });
    if (values.redis.enabled) new Redis(this, 'redis', { ctx, values: values.redis });
  }
}

