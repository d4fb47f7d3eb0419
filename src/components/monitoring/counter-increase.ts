/**
 * PromQL for how much a counter grew within `range` (`1h`, or Grafana's `$__range`), summed `by`
 * the given labels (default: over every series), where a series born within the range counts with
 * its whole value. A prom-client counter with labels creates each series at its first increment,
 * so the first sample of, say, `aiops_self_healing_gave_up_total{rule="x"}` is already 1 and
 * `increase()` alone never sees the first give-up of a rule in a pod's life: the series that have
 * no sample `range` ago count with their value (`+ 0` drops the metric name, so that `or` takes
 * them instead of their `increase()`), the others with their `increase()`.
 *
 * A series Prometheus did not see `range` ago for another reason (its history lost, its target not
 * scraped for that long) also counts with its whole value: a false alarm at worst, never a missed one.
 */
export function counterIncrease(selector: string, range: string, by?: string): string {
  const grouping = by ? ` by (${by}) ` : '';
  return `sum${grouping}((${selector} unless ${selector} offset ${range}) + 0 or increase(${selector}[${range}]))`;
}
