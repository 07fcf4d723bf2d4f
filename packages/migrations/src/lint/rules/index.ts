// Every lint rule, one file each; `anchor` groups the rules that answer one hazard.
import type { LintRule } from '../rule.js';
import r0 from './adding-exclusion-constraint.js';
import r1 from './adding-field-with-volatile-default.js';
import r2 from './adding-foreign-key-constraint.js';
import r3 from './adding-primary-key.js';
import r4 from './adding-required-field.js';
import r5 from './adding-serial-or-identity-column.js';
import r6 from './adding-stored-generated-column.js';
import r7 from './adding-unique-index-on-existing-data.js';
import r8 from './alter-type-with-check-constraint.js';
import r9 from './backfill-in-ddl-transaction.js';
import r10 from './ban-char-field.js';
import r11 from './ban-concurrently-in-transaction.js';
import r12 from './ban-domain-constraint.js';
import r13 from './ban-drop-column.js';
import r14 from './ban-drop-not-null.js';
import r15 from './ban-drop-table.js';
import r46 from './ban-duplicate-column-assignments.js';
import r16 from './ban-truncate-cascade.js';
import r17 from './ban-uncommitted-transaction.js';
import r18 from './changing-column-type.js';
import r47 from './column-alignment-padding.js';
import r19 from './concurrent-index-corruption-pg14.js';
import r20 from './constraint-missing-not-valid.js';
import r48 from './creating-enum.js';
import r21 from './disallowed-unique-constraint.js';
import r49 from './dropping-foreign-key.js';
import r22 from './enum-add-value-in-transaction.js';
import r23 from './foreign-key-without-index.js';
import r24 from './identifier-too-long.js';
import r50 from './index-too-many-columns.js';
import r25 from './multiple-scanning-alters.js';
import r51 from './naming-convention.js';
import r52 from './opaque-procedural-code.js';
import r26 from './prefer-bigint-over-int.js';
import r27 from './prefer-identity.js';
import r28 from './prefer-jsonb.js';
import r29 from './prefer-repack.js';
import r30 from './prefer-robust-stmts.js';
import r31 from './prefer-text-field.js';
import r32 from './prefer-timestamptz.js';
import r33 from './refresh-matview-blocking.js';
import r34 from './renaming-column-or-table.js';
import r35 from './require-concurrent-index-creation.js';
import r36 from './require-concurrent-index-deletion.js';
import r37 from './require-concurrent-partition-detach.js';
import r38 from './require-concurrent-reindex.js';
import r39 from './require-enum-value-ordering.js';
import r40 from './require-lock-timeout.js';
import r54 from './require-statement-timeout.js';
import r53 from './require-table-schema.js';
import r41 from './setting-not-null.js';
import r42 from './statements-after-access-exclusive.js';
import r43 from './table-rewrite-set-storage.js';
import r44 from './transaction-nesting.js';
import r45 from './validate-in-same-transaction.js';

export const ALL_RULES: readonly LintRule[] = [
  r0,
  r1,
  r2,
  r3,
  r4,
  r5,
  r6,
  r7,
  r8,
  r9,
  r10,
  r11,
  r12,
  r13,
  r14,
  r15,
  r16,
  r17,
  r18,
  r19,
  r20,
  r21,
  r22,
  r23,
  r24,
  r25,
  r26,
  r27,
  r28,
  r29,
  r30,
  r31,
  r32,
  r33,
  r34,
  r35,
  r36,
  r37,
  r38,
  r39,
  r40,
  r41,
  r42,
  r43,
  r44,
  r45,
  r46,
  r47,
  r48,
  r49,
  r50,
  r51,
  r52,
  r53,
  r54,
];
