import { readFileSync } from 'node:fs';
import { parseNabTimestamp } from './timestamps.js';

/** A malformed CSV file; the message starts with `file:line:`. */
export class CsvError extends Error {
  override readonly name = 'CsvError';
}

/** A time series read from a NAB CSV file: one entry per data row, in file order. */
export interface TimeSeriesTable {
  /** The timestamps exactly as written in the file. */
  readonly timestamps: readonly string[];
  /** The timestamps in milliseconds since the epoch (UTC). */
  readonly times: Float64Array;
  /** The numbers of the requested column (`value` in data files, `anomaly_score` in results). */
  readonly numbers: Float64Array;
}

/**
 * Parses a NAB CSV text: a header naming at least `timestamp` and `valueColumn`, then one row per
 * point with as many fields as the header, a NAB timestamp and a finite number. Blank lines at
 * the end are allowed. Throws a CsvError naming `file` and the line for the first problem.
 */
export function parseTimeSeriesCsv(text: string, file: string, valueColumn: string): TimeSeriesTable {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const fail = (line: number, what: string): never => {
    throw new CsvError(`${file}:${line}: ${what}`);
  };
  if (lines.length === 0) fail(1, `empty file: expected the header "timestamp,${valueColumn}"`);
  const header = lines[0]!.replace(/\r$/, '').split(',').map((h) => h.trim());
  const timeAt = header.indexOf('timestamp');
  const valueAt = header.indexOf(valueColumn);
  if (timeAt < 0 || valueAt < 0) fail(1, `expected the header "timestamp,${valueColumn}", found "${lines[0]}"`);
  const rows = lines.length - 1;
  const timestamps: string[] = new Array<string>(rows);
  const times = new Float64Array(rows);
  const numbers = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const line = i + 2;
    const fields = lines[i + 1]!.replace(/\r$/, '').split(',');
    if (fields.length !== header.length) fail(line, `expected ${header.length} fields (${header.join(',')}), found ${fields.length}: "${lines[i + 1]}"`);
    const timestamp = fields[timeAt]!.trim();
    const time = parseNabTimestamp(timestamp);
    if (time === undefined) fail(line, `timestamp "${timestamp}" is not "YYYY-MM-DD HH:MM:SS"`);
    const text = fields[valueAt]!.trim();
    const number = Number(text);
    if (text === '' || !Number.isFinite(number)) fail(line, `${valueColumn} "${text}" is not a finite number`);
    timestamps[i] = timestamp;
    times[i] = time!;
    numbers[i] = number;
  }
  return { timestamps, times, numbers };
}

/** Reads and parses a NAB CSV file (see parseTimeSeriesCsv). */
export function readTimeSeriesCsv(file: string, valueColumn: string): TimeSeriesTable {
  return parseTimeSeriesCsv(readFileSync(file, 'utf8'), file, valueColumn);
}
