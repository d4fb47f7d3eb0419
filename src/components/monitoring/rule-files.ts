import type { AlertAction } from '../../core/self-healing-actions.js';
import { yamlFile } from '../../lib/config-files.js';

/**
 * Typed Prometheus rule files (the `rule_files:` format of prometheus.yml, alerting rules only).
 * https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
 */
export interface RuleFile {
  groups: RuleGroup[];
}

/** A group of rules evaluated together. */
export interface RuleGroup {
  /** Unique within the file. */
  name: string;
  /** Evaluation interval; default: Prometheus' global `evaluation_interval`. */
  interval?: string;
  rules: AlertingRule[];
}

/** Labels every rule of the platform carries (Alertmanager groups and routes on them). */
export interface AlertLabels {
  severity: 'warning' | 'critical';
  /** The area the alert is about: node, http, postgresql, redis, elasticsearch, kubernetes, monitoring, self-healing. */
  component: string;
  /** What the self-healing executor does with the firing alert (Alertmanager routes on it). */
  action: AlertAction;
}

/** Annotations every rule of the platform carries; Go templates over `$labels` and `$value`. */
export interface AlertAnnotations {
  summary: string;
  description: string;
  /** What the platform does about it automatically, and what to check by hand. */
  runbook: string;
}

/** One alerting rule. */
export interface AlertingRule {
  alert: string;
  /** PromQL; every series it returns is one alert. */
  expr: string;
  /** How long `expr` must return the series before the alert fires. */
  for: string;
  labels: AlertLabels;
  annotations: AlertAnnotations;
}

/** Serializes a rule file as YAML for Prometheus (deterministic: key order as built). */
export function ruleFileYaml(file: RuleFile): string {
  return yamlFile(file);
}
