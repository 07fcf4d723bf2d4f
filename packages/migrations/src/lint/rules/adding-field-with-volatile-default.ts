import { alterCmds, constraintsOf, volatileFunctionIn } from '../ast.js';
import { defineRule, type RuleHit } from '../rule.js';

export default defineRule({
  id: 'adding-field-with-volatile-default',
  severity: 'error',
  anchor: 'L5',
  summary: 'ADD COLUMN with a default that rewrites the table',
  check({ type, node, state, rel, version }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const hits: RuleHit[] = [];
    for (const cmd of alterCmds(node)) {
      if (cmd.subtype !== 'AT_AddColumn') continue;
      const def = constraintsOf(cmd.def?.ColumnDef).find((c) => c.contype === 'CONSTR_DEFAULT');
      if (!def) continue;
      const col = cmd.def.ColumnDef.colname;
      if (version < 110000) {
        hits.push(
          `Before PostgreSQL 11 any DEFAULT on ADD COLUMN rewrites ${table} under an ACCESS EXCLUSIVE lock. Add "${col}" without a default, then SET DEFAULT, then backfill in batches.`,
        );
        continue;
      }
      const fn = volatileFunctionIn(def.raw_expr);
      if (fn) {
        hits.push(
          `The default of "${col}" calls ${fn}(), which is (or may be) volatile, so PostgreSQL rewrites ${table} and its indexes under an ACCESS EXCLUSIVE lock. Add the column without a default, SET DEFAULT separately, then backfill in batches.`,
        );
      }
    }
    return hits;
  },
});
