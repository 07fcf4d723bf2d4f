import { statementLock } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'statements-after-access-exclusive',
  severity: 'warning',
  anchor: 'L20',
  summary: 'more work while an ACCESS EXCLUSIVE lock is held',
  check({ type, node, state, inTransaction }) {
    if (!inTransaction) return;
    const held = [...state.tx.locks].filter(([, m]) => m === 'AccessExclusiveLock').map(([t]) => t);
    if (held.length === 0) return;
    const lock = statementLock(type, node, state.defaultSchema);
    if (!lock) return;
    const others = lock.tables.filter((t) => t && !state.isNew(t) && !held.includes(t));
    if (others.length === 0) return;
    return `This transaction already holds an ACCESS EXCLUSIVE lock on ${held.join(', ')} and now also locks ${others.join(', ')}: the first table stays blocked for reads and writes until everything commits, and lock ordering risks deadlocks. Split into separate migrations.`;
  },
});
