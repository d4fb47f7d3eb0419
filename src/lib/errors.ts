/** Where a configuration problem comes from, so the CLI can point at what the user wrote. */
export interface ProblemSource {
  /** Values key path of the value at fault, e.g. `['ingress', 'hosts', 0, 'paths', 1, 'path']`. */
  readonly path?: readonly PropertyKey[];
  /** Other values involved; when the user did not set `path`, the first of these they set is shown. */
  readonly involves?: readonly (readonly PropertyKey[])[];
  /** The command-line flag at fault, when a flag (not a value) causes the problem. */
  readonly flag?: '--release' | '--namespace';
  /** Problems of one group are reported once: the one with the largest weight (default: each on its own). */
  readonly group?: { readonly id: string; readonly weight: number };
}

/**
 * A configuration the chart cannot render (for example a release name that makes an object name
 * too long). Like invalid values: exit code 2, the output folder untouched, located at the value
 * or flag named by its {@link ProblemSource}.
 */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly source: ProblemSource = {},
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Something that collects configuration problems (the render context); without one, the problem is thrown. */
export interface ProblemSink {
  /** Records a problem; the render goes on so that every problem is reported at once (default: throw). */
  readonly report?: (problem: ConfigError) => void;
}

/** Reports `problem` to the sink, or throws it when there is none. */
export function reportProblem(sink: ProblemSink, problem: ConfigError): void {
  if (!sink.report) throw problem;
  sink.report(problem);
}
