import { defineRule } from '../rule.js';

export default defineRule({
  id: 'enum-add-value-in-transaction',
  severity: 'error',
  anchor: 'H',
  summary: 'ALTER TYPE ... ADD VALUE inside a transaction before PostgreSQL 12',
  check({ type, node, inTransaction, version }) {
    // RENAME VALUE (oldVal set) is a plain catalog update, allowed in a transaction on every version.
    if (type !== 'AlterEnumStmt' || !node.newVal || node.oldVal || !inTransaction) return;
    if (version < 120000)
      return 'Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block. Put it in a "-- dbrs:no-transaction" migration.';
    return {
      severity: 'info',
      message: `The new enum value '${node.newVal}' cannot be used until this transaction commits; do not use it later in the same migration.`,
    };
  },
});
