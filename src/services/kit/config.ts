// zod/mini: the same zod, tree-shakable (a bundle with it is ≈15 KB instead of ≈450 KB for the classic API).
import * as z from 'zod/mini';
import { SERVICE_ENV } from '../../core/service-env.js';

/**
 * Service configuration from environment variables, parsed with zod. Every variable is a string
 * (or absent) in the environment; the helpers below parse one variable each and word their
 * problem so that it reads after the variable's name: `config: PORT: expected an integer 1-65535, found "abc"`.
 */

/** A configuration problem: one line per bad variable, ready to print. */
export class ConfigError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

/** How a found value is shown: quoted, at most 40 characters; secrets only by their length. */
function shown(value: string, secret = false): string {
  if (secret) return `a string of ${value.length} characters (hidden)`;
  const quoted = JSON.stringify(value);
  return quoted.length > 42 ? `${quoted.slice(0, 40)}…" (${value.length} characters)` : quoted;
}

const optionalString = z.optional(z.string());

/** Records `message` as the variable's problem (the result is discarded). */
function fail(ctx: z.core.ParsePayload, message: string): never {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
  return z.NEVER;
}

/** A variable that must be set to a non-empty string (or has a default). */
export function envString(opts: { default?: string; secret?: boolean } = {}) {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): string => {
    const value = raw === undefined || raw === '' ? opts.default : raw;
    if (value === undefined) {
      return fail(ctx, 'required, not set');
    }
    return value;
  }));
}

/** A variable that may be absent or empty (undefined then). */
export function envOptionalString() {
  return z.pipe(optionalString, z.transform((raw: string | undefined) => (raw === '' ? undefined : raw)));
}

/** An integer in `min..max`. */
export function envInt(min: number, max: number, defaultValue?: number) {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): number => {
    if (raw === undefined || raw === '') {
      if (defaultValue !== undefined) return defaultValue;
      return fail(ctx, `required (an integer ${min}-${max}), not set`);
    }
    const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return fail(ctx, `expected an integer ${min}-${max}, found ${shown(raw)}`);
    }
    return value;
  }));
}

/** A TCP port 1-65535. */
export function envPort(defaultValue?: number) {
  return envInt(1, 65535, defaultValue);
}

/** `true`/`false` (also 1/0, yes/no, case-insensitive). */
export function envBoolean(defaultValue?: boolean) {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): boolean => {
    if (raw === undefined || raw === '') {
      if (defaultValue !== undefined) return defaultValue;
      return fail(ctx, 'required (true or false), not set');
    }
    const v = raw.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    return fail(ctx, `expected true or false, found ${shown(raw)}`);
  }));
}

/** One of `choices`. */
export function envEnum<const T extends readonly [string, ...string[]]>(choices: T, defaultValue?: T[number]) {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): T[number] => {
    if (raw === undefined || raw === '') {
      if (defaultValue !== undefined) return defaultValue;
      return fail(ctx, `required (one of ${choices.join(', ')}), not set`);
    }
    if (!choices.includes(raw)) {
      return fail(ctx, `expected one of ${choices.join(', ')}, found ${shown(raw)}`);
    }
    return raw;
  }));
}

/** An http(s) URL (credentials in it are never echoed). */
export function envUrl(opts: { default?: string } = {}) {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): string => {
    const value = raw === undefined || raw === '' ? opts.default : raw;
    if (value === undefined) {
      return fail(ctx, 'required (an http or https URL), not set');
    }
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return fail(ctx, `expected an http or https URL, found ${shown(value, value.includes('@'))}`);
    }
    return value.replace(/\/+$/, '');
  }));
}

/** A base path: `/`, or `/x/y` (no trailing slash, no `//`). */
export function envBasePath(defaultValue = '/') {
  return z.pipe(optionalString, z.transform((raw: string | undefined, ctx): string => {
    const value = raw === undefined || raw === '' ? defaultValue : raw;
    if (!/^\/([a-z0-9]([-a-z0-9/]*[a-z0-9])?)?$/.test(value) || value.includes('//')) {
      return fail(ctx, `expected "/" or a path such as "/ai" (lower-case, no trailing slash), found ${shown(value)}`);
    }
    return value;
  }));
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const C = SERVICE_ENV.common;

/** Variables the kit reads that the chart does not set (their defaults fit the chart's pods; `extraEnv` may set them). */
export const KIT_ENV = { shutdownDelay: 'SHUTDOWN_DELAY_SECONDS' } as const;

/** The variables the chart sets on every platform service (src/core/service-env.ts). */
export const commonConfigSchema = z.object({
  [C.basePath]: envBasePath('/'),
  [C.logLevel]: envEnum(LOG_LEVELS, 'info'),
  [C.port]: envPort(8080),
  [C.metricsPort]: envPort(9464),
  [C.podName]: envOptionalString(),
  [C.podNamespace]: envOptionalString(),
  /** Seconds between SIGTERM and closing the listeners, while the endpoints are updated (default 5; not set by the chart). */
  [KIT_ENV.shutdownDelay]: envInt(0, 60, 5),
});

export type CommonConfig = z.infer<typeof commonConfigSchema>;

/** Any object schema of env variables. */
export type EnvSchema = z.core.$ZodObject;

/**
 * Parses `env` with `schema`. Returns the typed configuration, or throws a {@link ConfigError}
 * with one line per bad variable: `config: NAME: problem`.
 */
export function loadConfig<S extends z.core.$ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    if (seen.has(name)) continue;
    seen.add(name);
    lines.push(`config: ${name}: ${issue.message.replace(/\s+/g, ' ')}`);
  }
  throw new ConfigError(lines);
}
