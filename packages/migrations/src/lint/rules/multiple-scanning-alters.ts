import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

const SCANNING = new Set(['AT_SetNotNull', 'AT_AlterColumnType', 'AT_AddConstraint']);

export default defineRule({
  id: 'multiple-scanning-alters',
  severity: 'info',
  anchor: 'L22',
  summary: 'several ALTER TABLE statements that each scan the same table',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const scans = alterCmds(node).some(
      (c) => SCANNING.has(c.subtype) && !(c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.skip_validation),
    );
    if (!scans) return;
    const before = state.tx.scanned.get(table) ?? 0;
    state.tx.scanned.set(table, before + 1);
    if (before === 0) return;
    return `Another ALTER TABLE on ${table} in this transaction also scans or rewrites it. Combine the actions into one ALTER TABLE statement so the table is scanned once.`;
  },
});
