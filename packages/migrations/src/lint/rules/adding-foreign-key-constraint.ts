import { alterCmds, constraintsOf } from '../ast.js';
import { defineRule, type RuleHit } from '../rule.js';

export default defineRule({
  id: 'adding-foreign-key-constraint',
  severity: 'error',
  anchor: 'L12',
  summary: 'ADD FOREIGN KEY without NOT VALID on an existing table',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const hits: RuleHit[] = [];
    for (const cmd of alterCmds(node)) {
      const fks =
        cmd.subtype === 'AT_AddConstraint'
          ? [cmd.def?.Constraint].filter((c) => c?.contype === 'CONSTR_FOREIGN' && !c.skip_validation)
          : cmd.subtype === 'AT_AddColumn'
            ? constraintsOf(cmd.def?.ColumnDef).filter((c) => c.contype === 'CONSTR_FOREIGN')
            : [];
      for (const fk of fks) {
        const ref = rel(fk.pktable);
        const scan = cmd.subtype === 'AT_AddColumn' ? '' : ' and scans the table to validate existing rows';
        hits.push(
          `Adding a foreign key takes a SHARE ROW EXCLUSIVE lock on both ${table} and ${ref} (blocking their writes)${scan}. Add it with NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.`,
        );
      }
    }
    return hits;
  },
});
