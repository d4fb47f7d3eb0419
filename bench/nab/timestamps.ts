/**
 * NAB's timestamps: `YYYY-MM-DD HH:MM:SS`, optionally with a fraction of a second (label files
 * write `.000000`), read as UTC. Parsed by hand, with the last day cached: a corpus has 10⁵–10⁶ rows
 * and consecutive rows share their day.
 */

let cachedDay = '';
let cachedDayMs: number | undefined;

/** The decimal number written by text[from..to) (ASCII digits only), or -1. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Milliseconds at 00:00 UTC of a `YYYY-MM-DD` day, or undefined when it is not a calendar day. */
function dayMs(day: string): number | undefined {
  if (day === cachedDay) return cachedDayMs;
  const [year, month, date] = [digits(day, 0, 4), digits(day, 5, 7), digits(day, 8, 10)];
  let ms: number | undefined;
  if (day[4] === '-' && day[7] === '-' && year >= 0 && month >= 1 && month <= 12 && date >= 1) {
    ms = Date.UTC(year, month - 1, date);
    // Date.UTC rolls 2014-02-30 over to March: such a date is not a day.
    if (new Date(ms).getUTCDate() !== date) ms = undefined;
  }
  cachedDay = day;
  cachedDayMs = ms;
  return ms;
}

/** Milliseconds since the epoch (UTC) of a NAB timestamp, or undefined when the text is not one. */
export function parseNabTimestamp(text: string): number | undefined {
  if (text.length < 19 || text.length === 20 || text.length > 26 || (text[10] !== ' ' && text[10] !== 'T')) return undefined;
  if (text[13] !== ':' || text[16] !== ':' || (text.length > 19 && text[19] !== '.')) return undefined;
  const day = dayMs(text.slice(0, 10));
  const [hour, minute, second] = [digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19)];
  const fraction = text.length > 19 ? digits(text, 20, text.length) : 0;
  if (day === undefined || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || fraction < 0) return undefined;
  const ms = text.length > 19 ? Math.floor((fraction / 10 ** (text.length - 20)) * 1000) : 0;
  return day + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}
