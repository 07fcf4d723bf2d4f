import type { ParsedComment, ParsedStatement } from './parse.js';

export interface Suppression {
  rules: Set<string>;
  reason: string;
  line: number;
}

export interface SuppressionProblem {
  line: number;
  message: string;
}

const PATTERN = /^--\s*dbrs-lint-ignore\s+([^:]*?)\s*(?::\s*(.*))?$/;

/**
 * `-- dbrs-lint-ignore <rule>[, <rule>]: <why>` silences those rules on the
 * next statement. The reason is mandatory: a suppression nobody can explain
 * later is how unsafe migrations get through review.
 */
export function collectSuppressions(
  comments: ParsedComment[],
  statements: ParsedStatement[],
): { byStatement: Map<number, Suppression[]>; problems: SuppressionProblem[] } {
  const byStatement = new Map<number, Suppression[]>();
  const problems: SuppressionProblem[] = [];
  for (const c of comments) {
    const m = PATTERN.exec(c.text.trim());
    if (!m) continue;
    const rules = new Set(
      m[1]!
        .split(/[\s,]+/)
        .map((r) => r.trim())
        .filter(Boolean),
    );
    const reason = (m[2] ?? '').trim();
    if (rules.size === 0 || !reason) {
      problems.push({
        line: c.line,
        message: `"${c.text.trim()}" needs a rule id and a reason: -- dbrs-lint-ignore <rule>: <why it is safe here>. It was not applied.`,
      });
      continue;
    }
    const idx = firstStartingAtOrAfter(statements, c.start);
    if (idx < 0) continue;
    byStatement.set(idx, [...(byStatement.get(idx) ?? []), { rules, reason, line: c.line }]);
  }
  return { byStatement, problems };
}

/** Binary search (statements are in text order): a linear scan per comment made commented files quadratic. */
function firstStartingAtOrAfter(statements: ParsedStatement[], at: number): number {
  let lo = 0;
  let hi = statements.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (statements[mid]!.start >= at) hi = mid;
    else lo = mid + 1;
  }
  return lo < statements.length ? lo : -1;
}
