import { gzipSync } from 'node:zlib';
import { manifestYaml } from '../lib/yaml-output.js';
import YAML from 'yaml';

/** The chart's name in Chart.yaml (object names come from the release, not from this). */
export const HELM_CHART_NAME = 'aiops-platform';

/**
 * Kubernetes versions the chart installs on: the manifests use API level 1.27 but apply on 1.25
 * and later (DESIGN §1: PodSecurityPolicy is gone there, every API used is GA by 1.23). The `-0`
 * admits the pre-release suffixes of managed clusters (`v1.29.3-eks-…`), which a plain `>=1.25.0`
 * would refuse.
 */
export const HELM_KUBE_VERSION = '>=1.25.0-0';

/** What a Helm chart is built from: one render and the facts Chart.yaml records. */
export interface HelmChartInput {
  /** Every rendered object, in output order: one template each. */
  readonly objects: readonly Record<string, unknown>[];
  /** The release the objects were rendered for: `helm install|upgrade` under another name fails (NOTES.txt). */
  readonly release: string;
  /** The namespace the objects were rendered for: installing into another one fails the same way (default: not checked). */
  readonly namespace?: string;
  /** Chart.yaml `version` (default 0.1.0). */
  readonly chartVersion?: string;
  /** Chart.yaml `appVersion`: the platform's version (the bundled CLI has no package.json to read). */
  readonly appVersion: string;
  /** The merged values, written as values.yaml for the record; Helm never reads them back into the objects. */
  readonly values: unknown;
}

/** One document as the render writes it (lib/yaml-output.ts: cdk8s' YAML, YAML 1.1 words quoted, no line folding). */
const yamlText = (document: unknown): string => manifestYaml([document]);

/**
 * Builds a Helm chart (relative path → contents) that installs exactly the rendered objects:
 * `Chart.yaml`, `values.yaml` (the merged values, for the record only), `templates/NOTES.txt` (the
 * release and namespace guard) and `templates/<NNN>-<kind>-<name>.yaml`, one per object in render
 * order. Each template is the object's YAML, as the render writes it, with Go template delimiters
 * escaped (escapeHelmTemplateText), so `helm template` gives back the object unchanged. Pure.
 */
export function helmChart(input: HelmChartInput): Record<string, string> {
  const width = Math.max(3, String(input.objects.length).length);
  const chart: Record<string, string> = {
    'Chart.yaml': chartYaml(input),
    'values.yaml': valuesYaml(input.values),
    'templates/NOTES.txt': notesTemplate(input),
  };
  input.objects.forEach((object, index) => {
    chart[`templates/${templateFileName(object, index, width)}`] = helmTemplateText(yamlText(object));
  });
  return chart;
}

function chartYaml(input: HelmChartInput): string {
  return yamlText({
    apiVersion: 'v2',
    name: HELM_CHART_NAME,
    description: 'The AIOps platform, rendered by aiops-platform (CDK8s): the templates are the rendered objects, escaped for Helm.',
    type: 'application',
    version: input.chartVersion ?? '0.1.0',
    appVersion: input.appVersion,
    kubeVersion: HELM_KUBE_VERSION,
  });
}

function valuesYaml(values: unknown): string {
  return [
    '# The merged values this chart was rendered from, kept for the record.',
    '# Changing them here (or with helm --set / -f) changes nothing: the templates are the rendered',
    '# objects. To change the platform, re-render: npm run synth -- --format helm -f <values files>.',
    yamlText(values ?? {}),
  ].join('\n');
}

/**
 * NOTES.txt, Helm's only template of ours: the object names and namespaces were fixed at render
 * time, so installing or upgrading under another release name (or into another namespace, when
 * known) fails with a message instead of creating objects that belong to a different release.
 * `helm lint` renders as release `test-release` in `default` with neither IsInstall nor IsUpgrade
 * set, so the guard stays quiet there (helm 4's lint would only log the fail, on every run).
 */
function notesTemplate(input: HelmChartInput): string {
  const quoted = (text: string) => JSON.stringify(text);
  const guard = (field: string, expected: string, what: string) =>
    `{{- if and (or .Release.IsInstall .Release.IsUpgrade) (ne .Release.${field} ${quoted(expected)}) }}\n` +
    `{{- fail (printf ${quoted(`this chart was rendered for ${what} ${expected}, not %s: install it with that ${what}, or re-render with npm run synth -- --format helm`)} .Release.${field}) }}\n` +
    '{{- end }}\n';
  return [
    guard('Name', input.release, 'release'),
    input.namespace === undefined ? '' : guard('Namespace', input.namespace, 'namespace'),
    `aiops-platform ${escapeHelmTemplateText(input.appVersion)}: release {{ .Release.Name }} in namespace {{ .Release.Namespace }}.\n`,
    'The templates are rendered objects: to change values, re-render with npm run synth -- --format helm and run helm upgrade.\n',
  ].join('');
}

/** `<NNN>-<kind>-<name>.yaml`: zero-padded render index (the order stays the render's), kind in lower case, name reduced to [a-z0-9.-]. */
function templateFileName(object: Record<string, unknown>, index: number, width: number): string {
  const clean = (text: string) => text.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, 180);
  const name = (object.metadata as { name?: unknown } | undefined)?.name;
  return `${String(index).padStart(width, '0')}-${clean(String(object.kind ?? 'object'))}-${clean(String(name ?? 'unnamed'))}.yaml`;
}

/**
 * The escape of `{{` that Helm's engine (Go text/template) prints back as `{{`: an action whose
 * only content is the string literal "{{".
 */
const ESCAPED_OPEN = '{{"{{"}}';

/**
 * Escapes text so that Helm's template engine (Go text/template, delimiters `{{` and `}}`) prints
 * it back unchanged: every `{{` becomes `{{"{{"}}`, an action that prints the string "{{".
 *
 * What Go's template lexer treats specially, and why this one replacement covers it:
 * - Only `{{` starts an action; in plain text `}}` is ordinary characters (outside an action the
 *   lexer looks for the left delimiter alone), so `}}`, `-}}` and `}}}` need nothing.
 * - `{{-` (trim the text before), `{{/*` (comment) and `{{"…"}}` all begin with `{{`, so they are
 *   escaped by the same rule and printed literally; our action writes no trim markers (`{{- `,
 *   ` -}}`), so no whitespace of the text around it is removed.
 * - Runs of braces are replaced left to right without overlap: `{{{` becomes `{{"{{"}}{`.
 * - Helm renders the text before any YAML is parsed, so an escape inside a quoted or block scalar
 *   changes nothing of the YAML. Our YAML never folds lines (lineWidth 0), so a `{{` is never
 *   split across a line; a value holding `{` then a line break then `{` is not a delimiter in
 *   either form.
 * The exact inverse is replacing every `{{"{{"}}` with `{{`, left to right.
 */
export function escapeHelmTemplateText(text: string): string {
  return text.replaceAll('{{', ESCAPED_OPEN);
}

/**
 * A template's text for one object's YAML: escaped, and closed by a comment line when the YAML
 * ends in more than its last line break. Helm trims the whitespace at the end of every manifest,
 * which would drop the kept empty lines of a last `|+` block scalar (a value ending in blank
 * lines); a comment line after them ends the scalar and keeps them (Go's YAML and the `yaml`
 * package agree).
 */
function helmTemplateText(yaml: string): string {
  const escaped = escapeHelmTemplateText(yaml);
  return escaped.trimEnd() + '\n' === escaped ? escaped : `${escaped}# end of document\n`;
}

/** Where Kubernetes refuses a Secret: 1 MiB of data (MaxSecretSize). */
export const SECRET_LIMIT_BYTES = 1024 * 1024;

/** Release name and namespace of the Helm release an estimate is for. */
export interface ReleaseSecretOptions {
  readonly release: string;
  readonly namespace: string;
}

/**
 * Estimated size in bytes of the data of the Secret in which Helm stores one revision of a release
 * of `chart` (compare with SECRET_LIMIT_BYTES; warn above about 900 KiB). Helm's secrets driver
 * writes `base64(gzip(json(release)))` into the Secret's `release` key, and Kubernetes limits the
 * decoded data of a Secret to 1 MiB (its base64 in `kubectl get -o yaml` is not what counts).
 * The release JSON is rebuilt here in Helm 4's shape: the manifest (every template rendered, each
 * after a `# Source:` line), the chart's templates again (each base64-encoded, which compresses
 * worse than the text), its metadata and values, and small info fields. Approximate by a few
 * percent: gzip here is zlib at level 9 (Helm: Go's BestCompression), Helm orders the manifest
 * by kind, and NOTES are left out; test/cli/helm-chart.test.ts compares it with the release
 * that the real helm prints.
 */
export function estimateReleaseSecretBytes(chart: Record<string, string>, options: ReleaseSecretOptions): number {
  const templates = Object.keys(chart).filter((name) => name.startsWith('templates/')).sort();
  const manifest = templates
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => `---\n# Source: ${HELM_CHART_NAME}/${name}\n${chart[name]!.replaceAll(ESCAPED_OPEN, '{{').trim()}\n`)
    .join('');
  const time = '2026-01-01T00:00:00.000000000Z';
  const release = {
    name: options.release,
    info: { first_deployed: time, last_deployed: time, description: 'Install complete', status: 'deployed' },
    chart: {
      metadata: YAML.parse(chart['Chart.yaml'] ?? '{}'),
      lock: null,
      templates: templates.map((name) => ({ name, data: Buffer.from(chart[name]!).toString('base64'), modtime: time })),
      values: YAML.parse(chart['values.yaml'] ?? '{}') ?? {},
      schema: null,
      schemamodtime: time,
      files: null,
      modtime: time,
    },
    manifest,
    version: 1,
    namespace: options.namespace,
    apply_method: 'ssa',
  };
  const gzipped = gzipSync(JSON.stringify(release), { level: 9 }).length;
  return 4 * Math.ceil(gzipped / 3);
}
