import { statementLock } from '../ast.js';
import { listSome } from '../format.js';
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
    const lock = statementLock(type, node, state.defaultSchema);
    if (!lock) return;
    const others = lock.tables.filter((t) => t && !state.isNew(t) && !held.has(t));
    if (others.length === 0) return;
    return `This transaction already holds an ACCESS EXCLUSIVE lock on ${listSome(held)} and now also locks ${listSome(others)}: the first table stays blocked for reads and writes until everything commits, and lock ordering risks deadlocks. Split into separate migrations.`;
  },
});
