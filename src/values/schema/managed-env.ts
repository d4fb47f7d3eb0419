import { SERVICE_ENV, SERVICE_ENV_GROUPS } from '../../core/service-env.js';

/** A values slice with chart-managed variables. */
export type ManagedEnvSlice = keyof typeof SERVICE_ENV_GROUPS;

/**
 * Environment variables the chart sets on the platform's own services, by values slice: the
 * names `extraEnv` may not use. Read off the same vocabulary the services' constructs set them
 * by (src/core/service-env.ts), so this list cannot fall behind them.
 */
export const MANAGED_ENV: Record<ManagedEnvSlice, readonly string[]> = {
  aiEngine: namesOf('aiEngine'),
  apiGateway: namesOf('apiGateway'),
  selfHealing: namesOf('selfHealing'),
};

function namesOf(slice: ManagedEnvSlice): string[] {
  return SERVICE_ENV_GROUPS[slice].flatMap((group) => Object.values(SERVICE_ENV[group]));
}
