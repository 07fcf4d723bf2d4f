import { walk } from '../ast.js';
import type { Node } from '../parse.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-table-schema',
  severity: 'info',
  anchor: 'H',
  summary: 'unqualified table name (resolved through search_path)',
  // As in squawk: most projects use one schema on purpose, so qualifying every name is noise unless asked for.
  optIn: true,
  check({ node, type }) {
    if (type === 'VariableSetStmt' || type === 'TransactionStmt') return;
    const names = new Set<string>();
    walk(node, (n: Node) => {
      const rv = n.RangeVar ?? (n.relname !== undefined && n.relpersistence !== undefined ? n : undefined);
      // Temporary tables live in pg_temp whatever the search_path says.
      if (rv && !rv.schemaname && rv.relpersistence !== 't') names.add(rv.relname);
    });
    // DROP TABLE/VIEW/... names are plain name lists, not RangeVars.
    if (type === 'DropStmt' && node.removeType !== 'OBJECT_INDEX') {
      for (const o of node.objects ?? []) {
        const items = o.List?.items ?? [];
        if (items.length === 1 && items[0].String?.sval) names.add(items[0].String.sval);
      }
    }
    const cte = new Set<string>();
    walk(node, (n: Node) => {
      if (n.CommonTableExpr?.ctename) cte.add(n.CommonTableExpr.ctename);
    });
    const unqualified = [...names].filter((t) => !cte.has(t));
    if (unqualified.length === 0) return;
    return `${unqualified.map((t) => `"${t}"`).join(', ')} ${unqualified.length > 1 ? 'are' : 'is'} not schema-qualified: which table it means depends on the session's search_path, which can differ between the migration runner, the application and a pooler. Write schema.table.`;
  },
});
