import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Values } from '../../../values/schema/index.js';
import { aiDashboard } from './ai.js';
import { applicationDashboard } from './application.js';
import { cacheDashboard } from './cache.js';
import { databaseDashboard } from './database.js';
import { selfHealingDashboard } from './self-healing.js';
import { systemDashboard } from './system.js';

/** Which metric sources run, so which dashboards have data. */
export interface DashboardComponents {
  /** node-exporter runs: system resources. */
  readonly nodeExporter: boolean;
  /** Traefik runs with its metrics: application performance. */
  readonly traefik: boolean;
  /** PostgreSQL runs with its exporter sidecar: database. */
  readonly postgresql: boolean;
  /** Redis runs with its exporter sidecar: cache. */
  readonly redis: boolean;
  /** The AI engine runs: model inference. */
  readonly aiEngine: boolean;
  /** The self-healing executor runs: its decisions. */
  readonly selfHealing: boolean;
}

/** Inputs of {@link dashboards}. */
export interface DashboardsOptions {
  readonly components: DashboardComponents;
  /** The alert thresholds, drawn on the panels they concern. */
  readonly thresholds: Values['alerting']['thresholds'];
}

/**
 * The provisioned dashboards, one per metric area of the seed whose source runs: system resources,
 * application performance, database, cache, AI model inference and self-healing. Built with
 * @grafana/grafana-foundation-sdk; stable uids (`aiops-*`), deterministic JSON.
 */
export function dashboards(opts: DashboardsOptions): DashboardFile[] {
  const { components: c, thresholds: t } = opts;
  return [
    c.nodeExporter ? systemDashboard(t) : undefined,
    c.traefik ? applicationDashboard(t) : undefined,
    c.postgresql ? databaseDashboard(t) : undefined,
    c.redis ? cacheDashboard(t) : undefined,
    c.aiEngine ? aiDashboard(t) : undefined,
    c.selfHealing ? selfHealingDashboard() : undefined,
  ]
    .filter((builder) => builder !== undefined)
    .map((builder) => dashboardFile(builder));
}

/** A rendered dashboard file of the provisioning folder. */
export interface DashboardFile {
  readonly uid: string;
  /** Key in the dashboards ConfigMap: `<uid>.json`. */
  readonly fileName: string;
  /** The dashboard JSON (2-space indented, key order as built, no timestamps or random ids). */
  readonly json: string;
  /** Every PromQL expression of every panel, in layout order. */
  readonly queries: string[];
}

type BuiltPanel = { id?: number; type: string; targets?: cog.Dataquery[]; panels?: BuiltPanel[] };

/**
 * Builds the dashboard and renders its file. Panels get ids 1, 2, … in layout order (the SDK
 * leaves them unset; Grafana needs them unique and stable for links and the panel editor).
 */
function dashboardFile(builder: DashboardBuilder): DashboardFile {
  const model = builder.build();
  const queries: string[] = [];
  let nextId = 1;
  const visit = (panels: BuiltPanel[]) => {
    for (const panel of panels) {
      panel.id = nextId++;
      for (const target of panel.targets ?? []) queries.push((target as unknown as { expr: string }).expr);
      visit(panel.panels ?? []);
    }
  };
  visit((model.panels ?? []) as BuiltPanel[]);
  const uid = model.uid!;
  return { uid, fileName: `${uid}.json`, json: `${JSON.stringify(model, null, 2)}\n`, queries };
}

/** Sample values of Grafana's range macros: those of the default 30 s scrape interval and 6 h time range. */
const MACRO_SAMPLES: Record<string, string> = { $__rate_interval: '2m', $__range: '6h', $__interval: '30s' };

/**
 * A dashboard query as plain PromQL, for static checks: Grafana's range macros (`$__rate_interval`,
 * `$__range`, `$__interval`) become sample durations, which PromQL parsers accept; variables
 * inside label matchers (`"$node"`) are strings already and stay.
 */
export function expandGrafanaMacros(expr: string): string {
  return expr.replace(/\$__(rate_interval|range|interval)\b/g, (macro) => MACRO_SAMPLES[macro]!);
}
