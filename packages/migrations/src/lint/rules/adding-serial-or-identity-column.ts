import { alterCmds, constraintsOf, typeInfo } from '../ast.js';
import { defineRule } from '../rule.js';

const SERIAL = new Set(['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8']);

export default defineRule({
  id: 'adding-serial-or-identity-column',
  severity: 'error',
  anchor: 'L7',
  summary: 'ADD COLUMN of type serial or GENERATED ... AS IDENTITY',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter((c) => c.subtype === 'AT_AddColumn')
      .filter(
        (c) =>
          SERIAL.has(typeInfo(c.def?.ColumnDef?.typeName)?.name ?? '') ||
          constraintsOf(c.def?.ColumnDef).some((k) => k.contype === 'CONSTR_IDENTITY'),
      )
      .map(
        (c) =>
          `Adding the auto-incrementing column "${c.def.ColumnDef.colname}" fills every row, rewriting ${table} under an ACCESS EXCLUSIVE lock. Add a nullable column with a sequence default set separately and backfill in batches, or copy into a new table.`,
      );
  },
});
