import { alterCmds, constraintsOf } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'adding-required-field',
  severity: 'error',
  anchor: 'C7',
  summary: 'ADD COLUMN ... NOT NULL without a default',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter((c) => {
        if (c.subtype !== 'AT_AddColumn') return false;
        const cons = constraintsOf(c.def?.ColumnDef);
        const filled = cons.some(
          (k) => k.contype === 'CONSTR_DEFAULT' || k.contype === 'CONSTR_GENERATED' || k.contype === 'CONSTR_IDENTITY',
        );
        return !filled && cons.some((k) => k.contype === 'CONSTR_NOTNULL' || k.contype === 'CONSTR_PRIMARY');
      })
      .map(
        (c) =>
          `Adding NOT NULL column "${c.def.ColumnDef.colname}" without a default fails on a non-empty ${table}, and inserts from running application versions would fail. Add it nullable or with a constant default (no rewrite since PostgreSQL 11).`,
      );
  },
});
