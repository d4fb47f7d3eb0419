/**
 * The two sizing profiles of the platform. `global.development: true` (the seed's default) selects
 * the small development profile; `false` selects production (HA replicas, PDBs, larger requests).
 * Profile-dependent defaults are written in the schema with {@link Profile.pick}, so every default
 * still lives in the schema and nowhere else.
 */
export interface Profile {
  readonly development: boolean;
  /** Returns the development or the production default. */
  pick<T>(development: T, production: T): T;
}

/** Builds the profile for `global.development`. */
export function profileFor(development: boolean): Profile {
  return {
    development,
    pick: (dev, prod) => (development ? dev : prod),
  };
}
