import { columnTypeUses } from '../ast.js';
import { defineRule } from '../rule.js';

const SMALL = new Set(['int4', 'int2', 'serial', 'serial4', 'smallserial', 'serial2', 'int', 'integer', 'smallint']);

export default defineRule({
  id: 'prefer-bigint-over-int',
  severity: 'info',
  anchor: 'H',
  summary: 'int/smallint key column',
  check({ type, node }) {
    return columnTypeUses(type, node)
      .filter(
        (u) =>
          SMALL.has(u.type.name) &&
          (u.type.name.includes('serial') ||
            u.constraints.some((c) => c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_IDENTITY')),
      )
      .map(
        (u) =>
          `Key column "${u.column}" is ${u.type.name}; running out of 32-bit ids later needs a rewriting type change. Use bigint.`,
      );
  },
});
