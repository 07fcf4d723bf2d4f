import { defineRule } from '../rule.js';

export default defineRule({
  id: 'backfill-in-ddl-transaction',
  severity: 'warning',
  anchor: 'L21',
  summary: 'UPDATE/DELETE of existing rows in the same transaction as DDL',
  check({ type, node, state, rel, inTransaction }) {
    if (!inTransaction || (type !== 'UpdateStmt' && type !== 'DeleteStmt')) return;
    const table = rel(node.relation);
    if (state.isNew(table) || !state.tx.ddlOnExisting) return;
    const held = [...state.tx.locks.entries()]
      .filter(([, m]) => m !== 'RowExclusiveLock')
      .map(([t, m]) => `${t} (${m})`);
    return `A backfill on ${table} runs inside the same transaction as DDL, so the DDL locks${held.length ? ` on ${held.join(', ')}` : ''} are held for the whole backfill. Commit the DDL first and backfill in small batches outside the DDL transaction.`;
  },
});
