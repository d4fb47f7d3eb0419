import {
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Threshold,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as GaugePanelBuilder } from '@grafana/grafana-foundation-sdk/gauge';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS_DATASOURCE_UID } from '../grafana-config.js';

/** Every panel queries the datasource chosen in the `datasource` variable (default: the provisioned Prometheus). */
const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/**
 * Range of `rate()` and `increase()`: Grafana's `$__rate_interval`, at least four scrape intervals
 * (the datasource's `timeInterval`) and always wider than the step.
 */
export const RATE = '[$__rate_interval]';

/** One PromQL query of a panel and the legend of its series (`{{label}}` templates). */
export interface Target {
  readonly expr: string;
  readonly legend: string;
}

/** Options shared by every panel helper. */
export interface PanelOptions {
  /** Grafana unit id, e.g. `percentunit`, `s`, `bytes`, `reqps`. */
  readonly unit: string;
  readonly targets: readonly Target[];
  readonly description?: string;
  /**
   * The alert threshold of the value, drawn as a line (timeseries) or a colour change (stat, gauge).
   * `above` (default) means values above it are bad; `below` that values below it are bad.
   */
  readonly threshold?: { readonly value: number; readonly bad?: 'above' | 'below' };
  /** Panel width in grid columns of 24 (default 12 for timeseries, 6 for stat and gauge). */
  readonly width?: number;
  /** Fixed axis or gauge bounds (default: from the data). */
  readonly min?: number;
  readonly max?: number;
}

const refId = (index: number) => String.fromCharCode(65 + index);

function queries(targets: readonly Target[], instant: boolean): DataqueryBuilder[] {
  return targets.map((t, i) => {
    const query = new DataqueryBuilder().datasource(DATASOURCE).expr(t.expr).legendFormat(t.legend).refId(refId(i));
    return instant ? query.instant() : query.range();
  });
}

function thresholds(o: PanelOptions): ThresholdsConfigBuilder {
  const steps: Threshold[] = !o.threshold
    ? [{ value: null, color: 'green' }]
    : o.threshold.bad === 'below'
      ? [{ value: null, color: 'red' }, { value: o.threshold.value, color: 'green' }]
      : [{ value: null, color: 'green' }, { value: o.threshold.value, color: 'red' }];
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Applies what every panel type shares: title, datasource, targets, unit, bounds and thresholds. */
function common<P extends TimeseriesPanelBuilder | StatPanelBuilder | GaugePanelBuilder>(panel: P, title: string, o: PanelOptions, instant: boolean, width: number): P {
  panel.title(title).datasource(DATASOURCE).targets(queries(o.targets, instant)).unit(o.unit).thresholds(thresholds(o)).span(o.width ?? width);
  if (o.description) panel.description(o.description);
  if (o.min !== undefined) panel.min(o.min);
  if (o.max !== undefined) panel.max(o.max);
  return panel;
}

/** A time series panel: one series per label set, legend and shared tooltip, the threshold as a dashed line. */
export function timeseries(title: string, o: PanelOptions): TimeseriesPanelBuilder {
  return common(new TimeseriesPanelBuilder(), title, o, false, 12)
    .height(8)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(o.threshold ? GraphThresholdsStyleMode.Dashed : GraphThresholdsStyleMode.Off));
}

/** A single value (the last one of an instant query), coloured by the threshold. */
export function stat(title: string, o: PanelOptions): StatPanelBuilder {
  return common(new StatPanelBuilder(), title, o, true, 6)
    .height(4)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** A gauge (default 0–100 %), coloured by the threshold. */
export function gauge(title: string, o: PanelOptions): GaugePanelBuilder {
  return common(new GaugePanelBuilder(), title, { min: 0, max: 1, ...o }, true, 6)
    .height(4)
    .showThresholdMarkers(true)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** The `datasource` variable: any Prometheus datasource, the provisioned one by default. */
function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .current({ text: 'Prometheus', value: PROMETHEUS_DATASOURCE_UID });
}

/**
 * A multi-value variable of the values of `label` on `metric` (`label_values(metric, label)`),
 * "All" by default; queries use it as `label=~"$name"`.
 */
export function labelVariable(name: string, title: string, metric: string, label = name): QueryVariableBuilder {
  const query = `label_values(${metric}, ${label})`;
  return new QueryVariableBuilder(name)
    .label(title)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: ['All'], value: ['$__all'] });
}

/** What makes a dashboard besides its panels. */
export interface DashboardSpec {
  /** Stable uid, also the file name (`<uid>.json`). */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  /** Label variables after `datasource`. */
  readonly variables: readonly QueryVariableBuilder[];
}

/**
 * A read-only dashboard of the platform: tag `aiops-platform`, last 6 hours, 30 s refresh, shared
 * crosshair, the `datasource` variable first. Add rows and panels in layout order.
 */
export function dashboard(o: DashboardSpec): DashboardBuilder {
  const builder = new DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags(['aiops-platform'])
    .readonly()
    .timezone('browser')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(datasourceVariable());
  for (const variable of o.variables) builder.withVariable(variable);
  return builder;
}
