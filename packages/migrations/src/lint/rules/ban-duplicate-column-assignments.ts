import type { Node } from '../parse.js';
import { defineRule } from '../rule.js';

function duplicates(targets: Node[] | undefined): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const t of targets ?? []) {
    const rt = t.ResTarget;
    // SET a[1] = ..., a[2] = ... (subscripts or fields) is legal; only whole-column repeats fail.
    if (!rt?.name || rt.indirection?.length) continue;
    if (seen.has(rt.name)) dup.add(rt.name);
    seen.add(rt.name);
  }
  return [...dup];
}

export default defineRule({
  id: 'ban-duplicate-column-assignments',
  severity: 'error',
  anchor: 'H',
  summary: 'a column assigned twice in UPDATE / INSERT / ON CONFLICT DO UPDATE',
  check({ type, node }) {
    let dup: string[] = [];
    if (type === 'UpdateStmt') dup = duplicates(node.targetList);
    if (type === 'InsertStmt') dup = [...duplicates(node.cols), ...duplicates(node.onConflictClause?.targetList)];
    if (dup.length === 0) return;
    return `${dup.map((c) => `"${c}"`).join(', ')} assigned more than once: PostgreSQL rejects the statement (42601/42701) when the migration runs. Keep one assignment per column.`;
  },
});
