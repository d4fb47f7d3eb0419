import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDetectCommand } from '../../bench/nab/detect-command.js';
import type { SeriesDetectorFactory } from '../../bench/nab/detect.js';
import { output, runProcess } from '../support/process.js';

/**
 * The `detect` command (`npm run -s detect -- --corpus DATA_DIR --out OUT_DIR`): the platform's
 * detector over a NAB-layout corpus, as a child process, and its error handling in-process with a
 * stand-in detector.
 */

const REPO = resolve(__dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'aiops-nab-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `rows` NAB rows every 5 minutes from 2014-04-01: a daily wave with noise and a spike at row 300. */
function seriesRows(rows: number): string[] {
  let seed = 11;
  const noise = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647 - 0.5) * 4;
  return Array.from({ length: rows }, (_, i) => {
    const t = new Date(Date.UTC(2014, 3, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    const value = 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + noise() + (i === 300 ? 60 : 0);
    return `${t},${value.toFixed(3)}`;
  });
}

/** Writes a corpus of `<category>/<file>.csv` → text. */
function corpus(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const detect = (...args: string[]) => runProcess('npm', ['run', '-s', 'detect', '--', ...args], { cwd: REPO, timeoutMs: 60_000 });
const csvLines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');

describe('npm run -s detect (child process, the platform detector)', () => {
  it('writes timestamp,anomaly_score per input row for every <category>/<file>.csv; a prefix of a file scores as the start of the whole file', async () => {
    const full = seriesRows(400);
    const data = corpus('two-files', {
      'daily/full.csv': `timestamp,value\n${full.join('\n')}\n`,
      'prefix/first-320.csv': `timestamp,value\n${full.slice(0, 320).join('\n')}\n`,
    });
    const out = join(tmp, 'two-files-out');
    const r = await detect('--corpus', data, '--out', out);
    expect(r.code, output(r)).toBe(0);
    expect(r.stderr).toBe('');
    expect(readdirSync(out).sort()).toEqual(['daily', 'prefix']);
    const scored = csvLines(join(out, 'daily/full.csv'));
    expect(scored[0]).toBe('timestamp,anomaly_score');
    expect(scored).toHaveLength(401);
    scored.slice(1).forEach((line, i) => {
      const [timestamp, score, ...rest] = line.split(',');
      expect(rest).toEqual([]);
      expect(timestamp).toBe(full[i]!.split(',')[0]);
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(Number(score)).toBeLessThanOrEqual(1);
    });
    // Streaming: a row's score depends on earlier rows and itself only.
    expect(csvLines(join(out, 'prefix/first-320.csv'))).toEqual(scored.slice(0, 321));
  });

  it('exits 2 on a malformed CSV, naming file and line, and writes nothing', async () => {
    const data = corpus('malformed', {
      'good/a.csv': `timestamp,value\n${seriesRows(10).join('\n')}\n`,
      'bad/b.csv': 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,oops\n',
    });
    const out = join(tmp, 'malformed-out');
    const r = await detect('--corpus', data, '--out', out);
    expect(r.code, output(r)).toBe(2);
    expect(r.stderr).toContain(`${join(data, 'bad/b.csv')}:3: value "oops" is not a finite number`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('detect command errors (in-process, a stand-in detector)', () => {
  /** Scores the last value's share of the largest value seen so far. */
  const standIn: SeriesDetectorFactory = () => {
    let max = 0;
    return { score: (_t, v) => ((max = Math.max(max, Math.abs(v))), max === 0 ? 0 : Math.abs(v) / max) };
  };
  const run = (args: string[], create = standIn) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runDetectCommand(args, create, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const good = corpus('good', { 'cat/a.csv': `timestamp,value\n${seriesRows(20).join('\n')}\n` });

  it('scores with the given detector and reports files and rows', () => {
    const out = join(tmp, 'good-out');
    const r = run(['--corpus', good, '--out', out]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/scored 1 files, 20 rows/);
    expect(csvLines(join(out, 'cat/a.csv'))[1]).toBe(`${seriesRows(1)[0]!.split(',')[0]},1`);
  });

  it('exits 2 with the usage on missing or unknown arguments', () => {
    for (const args of [[], ['--corpus', good], ['--out', tmp], ['--corpus', good, '--out', tmp, '--fast'], ['--corpus', good, '--out', tmp, 'extra']]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('usage: npm run -s detect -- --corpus DATA_DIR --out OUT_DIR');
    }
  });

  it('exits 2 on a missing corpus folder, a file instead of a folder, or a folder without <category>/<file>.csv', () => {
    const file = join(tmp, 'not-a-folder.csv');
    writeFileSync(file, 'timestamp,value\n');
    const flat = corpus('flat', { 'top-level.csv': 'timestamp,value\n', 'cat/notes.txt': 'x' });
    expect(run(['--corpus', join(tmp, 'nowhere'), '--out', join(tmp, 'o1')])).toMatchObject({ code: 2, err: `detect: corpus folder ${join(tmp, 'nowhere')} does not exist` });
    expect(run(['--corpus', file, '--out', join(tmp, 'o2')])).toMatchObject({ code: 2, err: `detect: corpus ${file} is not a folder` });
    expect(run(['--corpus', flat, '--out', join(tmp, 'o3')])).toMatchObject({ code: 2, err: expect.stringMatching(/holds no <category>\/<file>\.csv data file/) });
  });

  it('exits 2 when the output cannot be written: OUT_DIR or OUT_DIR/<category> is a file', () => {
    const outFile = join(tmp, 'out-is-a-file');
    writeFileSync(outFile, '');
    expect(run(['--corpus', good, '--out', outFile])).toMatchObject({ code: 2, err: expect.stringMatching(/^detect: cannot create the output folder .*out-is-a-file/) });
    const outDir = join(tmp, 'category-is-a-file');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'cat'), '');
    expect(run(['--corpus', good, '--out', outDir])).toMatchObject({ code: 2, err: expect.stringMatching(/^detect: cannot write .*category-is-a-file\/cat\/a\.csv/) });
  });

  it('refuses a detector score outside [0, 1] (a detector bug, not a corpus problem)', () => {
    expect(() => run(['--corpus', good, '--out', join(tmp, 'o4')], () => ({ score: () => 1.5 }))).toThrow(/cat\/a\.csv:2: the detector returned 1.5, not a score in \[0, 1\]/);
  });
});
