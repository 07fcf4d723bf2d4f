import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-domain-constraint',
  severity: 'warning',
  anchor: 'L23',
  summary: 'CHECK constraints on domains',
  check({ type, node }) {
    if (type === 'AlterDomainStmt' && node.subtype === 'C') {
      return 'ALTER DOMAIN ... ADD CONSTRAINT re-checks every column of every table that uses the domain, under locks on each of them. Put the constraint on the columns (NOT VALID + VALIDATE) instead.';
    }
    if (
      type === 'CreateDomainStmt' &&
      (node.constraints ?? []).some(
        (c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_CHECK',
      )
    ) {
      return {
        severity: 'info',
        message:
          'A domain with a CHECK cannot later be changed without re-checking every column that uses it, and converting a column to it rewrites the table. Prefer column constraints.',
      };
    }
    return;
  },
});
