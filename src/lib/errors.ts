/**
 * A configuration the chart cannot render (for example a release name that makes an object name
 * too long). Like invalid values: exit code 2, the output folder untouched.
 */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
