import { alterCmds, constraintsOf } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'adding-stored-generated-column',
  severity: 'error',
  anchor: 'L6',
  summary: 'ADD COLUMN ... GENERATED ALWAYS AS (...) STORED',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter(
        (c) =>
          c.subtype === 'AT_AddColumn' &&
          constraintsOf(c.def?.ColumnDef).some((k) => k.contype === 'CONSTR_GENERATED' && k.generated_kind !== 'v'),
      )
      .map(
        (c) =>
          `Adding the stored generated column "${c.def.ColumnDef.colname}" rewrites ${table} under an ACCESS EXCLUSIVE lock. Add a plain column filled by a trigger and backfill in batches, or use a virtual generated column (PostgreSQL 18).`,
      );
  },
});
