import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Folder of the seed's values blocks, one file each. */
export const SEED_DIR = join(import.meta.dirname, '..', 'fixtures', 'seed');
/** Folder of the project's own values fixtures (production and special cases). */
export const FIXTURES_DIR = join(import.meta.dirname, '..', 'fixtures', 'values');

/** A values file on disk: its name and text. */
export interface Fixture {
  readonly name: string;
  readonly text: string;
}

/** Reads every `.yaml` fixture of a folder, sorted by name. */
export function fixtures(dir: string): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ name: basename(f), text: readFileSync(join(dir, f), 'utf8') }));
}

