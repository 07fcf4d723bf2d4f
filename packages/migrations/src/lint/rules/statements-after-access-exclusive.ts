import { relName, statementLock, walk } from '../ast.js';
import { listSome } from '../format.js';
import type { Node } from '../parse.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'statements-after-access-exclusive',
  severity: 'warning',
  anchor: 'L20',
  summary: 'more work while an ACCESS EXCLUSIVE lock is held',
  check({ type, node, state, inTransaction }) {
    if (!inTransaction) return;
    // A set kept by the state: scanning every held lock per statement made long migrations quadratic.
    const held = state.tx.accessExclusive;
    if (held.size === 0) return;
    if (type === 'SelectStmt') {
      // A query reading a table the transaction holds ACCESS EXCLUSIVE on keeps everyone else out for the whole scan.
      const read = new Set<string>();
      walk(node, (n: Node) => {
        if (n.RangeVar) read.add(relName(n.RangeVar, state.defaultSchema));
        else if (n.relname !== undefined && n.inh !== undefined) read.add(relName(n, state.defaultSchema));
      });
      const locked = [...read].filter((t) => held.has(t));
      if (locked.length === 0) return;
      return `This query reads ${listSome(locked)} while the transaction holds an ACCESS EXCLUSIVE lock on it: every other session waits for the whole query. Run it before the DDL or in a separate transaction.`;
    }
    const lock = statementLock(type, node, state.defaultSchema);
    if (!lock) return;
    const others = lock.tables.filter((t) => t && !state.isNew(t) && !held.has(t));
    if (others.length === 0) return;
    return `This transaction already holds an ACCESS EXCLUSIVE lock on ${listSome(held)} and now also locks ${listSome(others)}: the first table stays blocked for reads and writes until everything commits, and lock ordering risks deadlocks. Split into separate migrations.`;
  },
});
