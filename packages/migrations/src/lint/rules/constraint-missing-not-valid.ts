import { alterCmds, constraintsOf } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'constraint-missing-not-valid',
  severity: 'error',
  anchor: 'L11',
  summary: 'CHECK constraint without NOT VALID on an existing table (also inside ADD COLUMN)',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const hits: string[] = [];
    for (const c of alterCmds(node)) {
      const k = c.def?.Constraint;
      if (c.subtype === 'AT_AddConstraint' && k?.contype === 'CONSTR_CHECK' && !k.skip_validation) {
        hits.push(
          `Adding a CHECK constraint validates every row of ${table} while holding an ACCESS EXCLUSIVE lock. Add it with NOT VALID (brief lock), then VALIDATE CONSTRAINT in a separate transaction (SHARE UPDATE EXCLUSIVE, does not block reads or writes).`,
        );
      }
      // A column constraint cannot be NOT VALID: PostgreSQL checks it against every existing row in the same pass.
      if (c.subtype === 'AT_AddColumn' && constraintsOf(c.def?.ColumnDef).some((x) => x.contype === 'CONSTR_CHECK')) {
        hits.push(
          `The CHECK on new column "${c.def.ColumnDef.colname}" is verified against every row of ${table} while holding an ACCESS EXCLUSIVE lock (a column constraint cannot be NOT VALID). Add the column without it, then ADD CONSTRAINT ... CHECK ... NOT VALID and VALIDATE it in a separate transaction.`,
        );
      }
    }
    return hits;
  },
});
