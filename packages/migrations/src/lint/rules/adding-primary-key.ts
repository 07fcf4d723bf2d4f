import { alterCmds, constraintsOf } from '../ast.js';
import type { Node } from '../parse.js';
import { defineRule, type RuleHit } from '../rule.js';
import type { LintState } from '../state.js';

/** ADD PRIMARY KEY USING INDEX: PostgreSQL first sets NOT NULL on each key column, scanning for NULLs. */
function usingIndex(c: Node, table: string, state: LintState): RuleHit | undefined {
  const schema = table.split('.')[0];
  const index = state.indexes.get(`${schema}.${c.indexname}`);
  const verdicts = (index?.columns ?? []).map((col) => [col, state.columnNotNull(`${table}.${col}`)] as const);
  const nullable = verdicts.filter(([, v]) => v === false).map(([col]) => col);
  if (nullable.length > 0) {
    return `ADD PRIMARY KEY USING INDEX ${c.indexname} first sets NOT NULL on ${nullable.map((x) => `"${x}"`).join(', ')}, which scans all of ${table} under an ACCESS EXCLUSIVE lock. Make the columns NOT NULL first (CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL on PostgreSQL 12+), then add the primary key.`;
  }
  // Unknown nullability (no catalog, index from elsewhere): the recommended pattern, not reported.
  return undefined;
}

export default defineRule({
  id: 'adding-primary-key',
  severity: 'error',
  anchor: 'L15',
  summary: 'ADD PRIMARY KEY that builds its index or sets NOT NULL under ACCESS EXCLUSIVE',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const hits: RuleHit[] = [];
    for (const c of alterCmds(node)) {
      const k = c.def?.Constraint;
      if (c.subtype === 'AT_AddConstraint' && k?.contype === 'CONSTR_PRIMARY' && k.indexname) {
        const hit = usingIndex(k, table, state);
        if (hit) hits.push(hit);
        continue;
      }
      if (
        (c.subtype === 'AT_AddConstraint' && k?.contype === 'CONSTR_PRIMARY') ||
        (c.subtype === 'AT_AddColumn' && constraintsOf(c.def?.ColumnDef).some((x) => x.contype === 'CONSTR_PRIMARY'))
      ) {
        hits.push(
          `Adding a PRIMARY KEY builds a unique index (and checks NOT NULL) while holding an ACCESS EXCLUSIVE lock on ${table}. Create a unique index CONCURRENTLY on NOT NULL columns, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX.`,
        );
      }
    }
    return hits;
  },
});
