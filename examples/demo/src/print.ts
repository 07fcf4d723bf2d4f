/** Console output for the demo: headings and aligned tables on stdout. */
export function heading(title: string): void {
  process.stdout.write(`\n== ${title} ${'='.repeat(Math.max(3, 72 - title.length))}\n`);
}

export function line(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function table(rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) {
    line('  (none)');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const text = (v: unknown) =>
    (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? '')).replace(/\s+/g, ' ');
  const widths = cols.map((c) => Math.min(90, Math.max(c.length, ...rows.map((r) => text(r[c]).length))));
  const fmt = (vals: string[]) =>
    `  ${vals.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  line(fmt(cols));
  line(fmt(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) line(fmt(cols.map((c) => text(r[c]))));
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
