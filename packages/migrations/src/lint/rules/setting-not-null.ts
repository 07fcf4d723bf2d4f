import { alterCmds } from '../ast.js';
import { defineRule, type RuleHit } from '../rule.js';

export default defineRule({
  id: 'setting-not-null',
  severity: 'error',
  anchor: 'L10',
  summary: 'SET NOT NULL that scans the table under ACCESS EXCLUSIVE',
  check({ type, node, state, rel, version }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const hits: RuleHit[] = [];
    const cmds = alterCmds(node);
    for (const cmd of cmds) {
      if (cmd.subtype !== 'AT_SetNotNull') continue;
      const key = `${table}.${cmd.name}`;
      const droppedHere = cmds.some((c) => c.subtype === 'AT_DropConstraint');
      if (version >= 120000 && state.notNullChecks.has(key) && !droppedHere) continue;
      const alt =
        version >= 180000
          ? `Use ADD CONSTRAINT ... NOT NULL "${cmd.name}" NOT VALID, then VALIDATE CONSTRAINT in a separate transaction (PostgreSQL 18).`
          : version >= 120000
            ? `First ADD CONSTRAINT ... CHECK ("${cmd.name}" IS NOT NULL) NOT VALID, VALIDATE it in a separate transaction (SHARE UPDATE EXCLUSIVE), then SET NOT NULL skips the scan (PostgreSQL 12+) and the check can be dropped.`
            : 'Before PostgreSQL 12 there is no scan-free path: keep a validated CHECK (col IS NOT NULL) constraint instead of SET NOT NULL.';
      hits.push(
        `SET NOT NULL on "${cmd.name}" scans all of ${table} while holding an ACCESS EXCLUSIVE lock (reads and writes blocked), and fails if any existing row is NULL (backfill first). ${alt}`,
      );
    }
    return hits;
  },
});
