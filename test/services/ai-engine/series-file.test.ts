import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SERIES } from '../../../src/core/ai-engine-series.js';
import { loadConfig } from '../../../src/services/kit/config.js';
import { loadWatchedSeries, seriesFileEnvShape } from '../../../src/services/ai-engine/series-file.js';

const dir = mkdtempSync(join(tmpdir(), 'aiops-series-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to a file of the temp folder; returns its path. */
const written = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const NODE_CPU = DEFAULT_ENGINE_SERIES.find((s) => s.id === 'node-cpu')!;

describe('the series the AI engine watches', () => {
  it('is the built-in list without SERIES_FILE (also when empty: the kit reads an empty variable as unset)', () => {
    const config = loadConfig(z.object(seriesFileEnvShape), {});
    expect(loadWatchedSeries(config)).toBe(DEFAULT_ENGINE_SERIES);
    expect(loadWatchedSeries(loadConfig(z.object(seriesFileEnvShape), { SERIES_FILE: '' }))).toBe(DEFAULT_ENGINE_SERIES);
  });

  it("is the file's list with SERIES_FILE, in its order", () => {
    const custom = { ...NODE_CPU, id: 'cpu-busy', stepSeconds: 30, windowSeconds: 7200 };
    const path = written('series.json', JSON.stringify({ version: 1, series: [custom, NODE_CPU] }));
    expect(loadWatchedSeries(loadConfig(z.object(seriesFileEnvShape), { SERIES_FILE: path }))).toEqual([custom, NODE_CPU]);
    expect(loadWatchedSeries({ SERIES_FILE: written('empty-list.json', '{"version": 1, "series": []}') })).toEqual([]);
  });

  it('fails to start on a file it cannot read, that is no JSON or that breaks the format, naming the file and the problem', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadWatchedSeries({ SERIES_FILE: missing })).toThrow(`SERIES_FILE: cannot read the series file ${missing}: ENOENT`);
    const broken = written('broken.json', '{"version": 1, "series": [');
    expect(() => loadWatchedSeries({ SERIES_FILE: broken })).toThrow(new RegExp(`^SERIES_FILE: the series file ${broken} is not JSON: `));
    const bad = written('bad.json', JSON.stringify({ version: 1, series: [{ ...NODE_CPU, windowSeconds: 600 }, { ...NODE_CPU, id: 'x', kind: 'DiskFullPredicted' }] }));
    expect(() => loadWatchedSeries({ SERIES_FILE: bad })).toThrow(
      `SERIES_FILE: ${bad}: invalid AI engine series file:\n` +
        'series.0.windowSeconds: window 10m holds 10 steps of 1m: the detector scores a point only after 60 points of history; use a window of at least 1h or a shorter step\n' +
        'series.1.forecast: kind DiskFullPredicted forecasts a limit: forecast (limit, approach, horizon) is required',
    );
  });
});
