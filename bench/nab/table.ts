/** A row of the bench table: a label, then one cell per column. */
export type TableRow = readonly [label: string, ...cells: string[]];

/** Formats rows as an aligned text table: first column left-aligned, the others right-aligned. */
export function formatTable(header: TableRow, rows: readonly TableRow[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: TableRow) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
