import { readFileSync } from 'node:fs';
import { DEFAULT_ENGINE_SERIES, type EngineSeries } from '../../core/ai-engine-series.js';
import { parseSeriesFile } from '../../core/ai-engine-series-file.js';
import { SERVICE_ENV } from '../../core/service-env.js';
import { envOptionalString } from '../kit/config.js';

/**
 * The series the engine watches: those of the series file the chart writes from
 * `aiEngine.series` (format: src/core/ai-engine-series-file.ts), or the built-in
 * DEFAULT_ENGINE_SERIES when SERIES_FILE is not set (the engine run outside the chart).
 */

const SERIES_FILE = SERVICE_ENV.aiEngine.seriesFile;

/** The engine's SERIES_FILE variable (optional: unset or empty means the built-in series). */
export const seriesFileEnvShape = { [SERIES_FILE]: envOptionalString() };

/**
 * The series to watch: the file's when `config.SERIES_FILE` is set, DEFAULT_ENGINE_SERIES
 * otherwise. A file that cannot be read, is not JSON or breaks the format is a start-up error
 * naming the file and every problem.
 */
export function loadWatchedSeries(config: { readonly [SERIES_FILE]?: string | undefined }): readonly EngineSeries[] {
  const path = config[SERIES_FILE];
  if (path === undefined) return DEFAULT_ENGINE_SERIES;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${SERIES_FILE}: cannot read the series file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${SERIES_FILE}: the series file ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseSeriesFile(parsed).series;
  } catch (error) {
    throw new Error(`${SERIES_FILE}: ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
