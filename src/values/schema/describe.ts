/**
 * Text helpers for the schema's `.describe()` texts, which `npm run schema` exports to
 * values.schema.json and docs/values.md. The exported defaults are the development profile's, so a
 * description names the production default too when it differs.
 */

/** The default `resources` of a container in one profile (the schema's `resources` helper takes two). */
export interface ResourceDefaults {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

/** The default of a credential in values, for descriptions: `(default …)`. */
export const CREDENTIAL_DEFAULT =
  '(default "": a development value in development; in production the Secret must exist, see existingSecret and secrets.external)';

/** `X`, or `X; production Y` when the production profile's default differs. */
export function defaultText(development: unknown, production: unknown = development): string {
  const dev = shown(development);
  const prod = shown(production);
  return dev === prod ? dev : `${dev}; production ${prod}`;
}

/** `requests 50m CPU and 64Mi, limits 128Mi`, and the production defaults when they differ. */
export function resourcesText(development: ResourceDefaults, production: ResourceDefaults = development): string {
  return defaultText(resourceText(development), resourceText(production));
}

function resourceText(r: ResourceDefaults): string {
  const limits = r.limits.cpu ? `${r.limits.cpu} CPU and ${r.limits.memory}` : r.limits.memory;
  return `requests ${r.requests.cpu} CPU and ${r.requests.memory}, limits ${limits}`;
}

function shown(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
}
