import type { Values } from '../values/schema/index.js';

/** What every component receives besides its own values slice. Built once by the chart. */
export interface PlatformContext {
  /** Release name, the prefix of every object name (default aiops-platform). */
  readonly release: string;
  /** Namespace of every namespaced object (default aiops-platform). */
  readonly namespace: string;
  /** True in the development profile. */
  readonly development: boolean;
  /** `global.*` values. */
  readonly global: Values['global'];
  /** `secrets.*` values (external secret management). */
  readonly secrets: Values['secrets'];
  /** Records a warning for the user; `--strict` turns warnings into errors. */
  warn(message: string): void;
}
