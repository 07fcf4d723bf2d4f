import type { IssueSeverity, StatusIssue } from './types.js';

const SEVERITY_RANK: Record<IssueSeverity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Critical first, then warning, then info. Within a severity, issues of the
 * same kind (the part of `key` before ':') are ordered by impact, largest
 * first; different kinds keep the order their component produced them in,
 * since their impacts are in different units.
 */
export function rankIssues(issues: StatusIssue[]): StatusIssue[] {
  const kind = (i: StatusIssue) => i.key?.split(':')[0] ?? i.component;
  const firstSeen = new Map<string, number>();
  issues.forEach((i, n) => {
    const k = `${i.severity}|${kind(i)}`;
    if (!firstSeen.has(k)) firstSeen.set(k, n);
  });
  return [...issues].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      firstSeen.get(`${a.severity}|${kind(a)}`)! - firstSeen.get(`${b.severity}|${kind(b)}`)! ||
      (b.impact ?? 0) - (a.impact ?? 0),
  );
}
