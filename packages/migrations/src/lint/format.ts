import type { LintFinding, Severity } from './types.js';

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function summarize(findings: LintFinding[]): Record<Severity, number> {
  const s = { error: 0, warning: 0, info: 0 };
  for (const f of findings) s[f.severity]++;
  return s;
}

/** One block per finding, like a compiler: `file:line severity rule`, the statement, the advice. */
export function formatFindingsHuman(findings: LintFinding[]): string {
  if (findings.length === 0) return 'No migration safety findings.\n';
  const sorted = [...findings].sort(
    (a, b) =>
      (a.migration ?? '').localeCompare(b.migration ?? '') || a.line - b.line || ORDER[a.severity] - ORDER[b.severity],
  );
  const lines: string[] = [];
  for (const f of sorted) {
    lines.push(`${f.migration ? `${f.migration}:` : 'line '}${f.line} ${f.severity} [${f.rule}]`);
    if (f.statement) lines.push(`  > ${f.statement.split('\n').join('\n  > ')}`);
    lines.push(`  ${f.message}`, '');
  }
  const s = summarize(findings);
  lines.push(`${s.error} error(s), ${s.warning} warning(s), ${s.info} info.`);
  return `${lines.join('\n')}\n`;
}

export function formatFindingsJson(findings: LintFinding[]): string {
  return `${JSON.stringify({ summary: summarize(findings), findings }, null, 2)}\n`;
}

/** `a, b, c and 7 more`: a message names a few tables, not thousands. */
export function listSome(items: ReadonlySet<string> | readonly string[], max = 5): string {
  const size = 'size' in items ? items.size : items.length;
  const head: string[] = [];
  for (const x of items) {
    if (head.length === max) break;
    head.push(x);
  }
  return size <= max ? head.join(', ') : `${head.join(', ')} and ${size - max} more`;
}
