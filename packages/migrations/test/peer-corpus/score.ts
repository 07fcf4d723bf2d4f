// Scores one peer case with a linter: which of our rules correspond to the peer's rule, and did any fire.
import type { LintFinding, LintOptions } from '../../src/lint/types.js';
import type { PeerCase } from './types.js';

/** The peer's rule → our rules that make the same judgement (any severity counts: the peer's test asks "does the rule fire"). */
export const RULE_MAP: Record<string, readonly string[]> = {
  // squawk
  'adding-field-with-default': [
    'adding-field-with-volatile-default',
    'adding-stored-generated-column',
    'adding-serial-or-identity-column',
  ],
  'adding-foreign-key-constraint': ['adding-foreign-key-constraint'],
  'adding-not-nullable-field': ['setting-not-null'],
  'adding-serial-primary-key-field': ['adding-primary-key'],
  'adding-required-field': ['adding-required-field'],
  'ban-alter-domain-with-add-constraint': ['ban-domain-constraint'],
  'ban-create-domain-with-constraint': ['ban-domain-constraint'],
  'ban-char-field': ['ban-char-field'],
  'ban-concurrent-index-creation-in-transaction': ['ban-concurrently-in-transaction'],
  'ban-drop-column': ['ban-drop-column'],
  'ban-drop-database': ['ban-drop-table'],
  'ban-drop-not-null': ['ban-drop-not-null'],
  'ban-drop-table': ['ban-drop-table'],
  'ban-duplicate-column-assignments': ['ban-duplicate-column-assignments'],
  'ban-truncate-cascade': ['ban-truncate-cascade'],
  'ban-uncommitted-transaction': ['ban-uncommitted-transaction'],
  'changing-column-type': ['changing-column-type'],
  'constraint-missing-not-valid': [
    'constraint-missing-not-valid',
    'adding-foreign-key-constraint',
    'validate-in-same-transaction',
  ],
  'disallowed-unique-constraint': ['disallowed-unique-constraint'],
  'identifier-too-long': ['identifier-too-long'],
  'prefer-big-int': ['prefer-bigint-over-int'],
  'prefer-bigint-over-int': ['prefer-bigint-over-int'],
  'prefer-bigint-over-smallint': ['prefer-bigint-over-int'],
  'prefer-identity': ['prefer-identity'],
  'prefer-repack': ['prefer-repack'],
  'prefer-robust-stmts': ['prefer-robust-stmts'],
  'prefer-text-field': ['prefer-text-field'],
  'prefer-timestamptz': ['prefer-timestamptz'],
  'prefer-timestamp-tz': ['prefer-timestamptz'],
  'renaming-column': ['renaming-column-or-table'],
  'renaming-table': ['renaming-column-or-table'],
  'require-concurrent-index-creation': ['require-concurrent-index-creation'],
  'require-concurrent-index-deletion': ['require-concurrent-index-deletion'],
  'require-concurrent-partition-detach': ['require-concurrent-partition-detach'],
  'require-concurrent-reindex': ['require-concurrent-reindex'],
  'require-enum-value-ordering': ['require-enum-value-ordering'],
  'require-table-schema': ['require-table-schema'],
  'require-timeout-settings': ['require-lock-timeout', 'require-statement-timeout'],
  'require-lock-timeout': ['require-lock-timeout'],
  'require-statement-timeout': ['require-statement-timeout'],
  'transaction-nesting': ['transaction-nesting'],
  // eugene hints
  E1: ['constraint-missing-not-valid', 'adding-foreign-key-constraint'],
  E2: ['setting-not-null'],
  E3: ['prefer-jsonb'],
  E4: ['statements-after-access-exclusive', 'backfill-in-ddl-transaction'],
  E5: ['changing-column-type'],
  E6: ['require-concurrent-index-creation'],
  E7: ['disallowed-unique-constraint'],
  E8: ['adding-exclusion-constraint'],
  E9: ['require-lock-timeout'],
  E10: [
    'changing-column-type',
    'adding-field-with-volatile-default',
    'adding-serial-or-identity-column',
    'adding-stored-generated-column',
    'prefer-repack',
    'table-rewrite-set-storage',
  ],
  E11: ['adding-serial-or-identity-column', 'adding-stored-generated-column'],
  W12: ['multiple-scanning-alters'],
  W13: ['creating-enum'],
  W14: ['adding-primary-key'],
  E15: ['foreign-key-without-index'],
  // strong_migrations checks
  change_column: ['changing-column-type'],
  add_column_default: ['adding-field-with-volatile-default', 'adding-required-field'],
  add_column_json: ['prefer-jsonb'],
  add_column_generated_stored: ['adding-stored-generated-column'],
  add_column_auto_incrementing: ['adding-serial-or-identity-column', 'adding-primary-key'],
  change_column_null: ['setting-not-null', 'backfill-in-ddl-transaction'],
  add_index: ['require-concurrent-index-creation'],
  add_index_columns: ['index-too-many-columns'],
  remove_index: ['require-concurrent-index-deletion'],
  add_foreign_key: ['adding-foreign-key-constraint', 'validate-in-same-transaction'],
  add_check_constraint: ['constraint-missing-not-valid', 'validate-in-same-transaction'],
  add_reference: ['require-concurrent-index-creation'],
  add_reference_foreign_key: ['adding-foreign-key-constraint'],
  add_unique_constraint: ['disallowed-unique-constraint'],
  add_exclusion_constraint: ['adding-exclusion-constraint'],
  remove_column: ['ban-drop-column'],
  rename_column: ['renaming-column-or-table'],
  rename_table: ['renaming-column-or-table'],
  create_table: ['ban-drop-table', 'dropping-foreign-key'],
  execute: ['opaque-procedural-code'],
};

export function optionsFor(c: PeerCase): LintOptions {
  return {
    serverVersion: c.settings.serverVersion,
    transactional: c.settings.transactional,
    ...(c.settings.timeZone ? { timeZone: c.settings.timeZone } : {}),
    ...(c.newTables ? { knownNewTables: c.newTables } : {}),
    ...(c.catalog ? { catalog: { notNullChecks: [], ...c.catalog } } : {}),
    enabledRules: ['require-table-schema'],
  };
}

export interface Scored {
  verdict: 'safe' | 'unsafe';
  /** Our mapped rules that fired. */
  fired: string[];
  /** Any exception (the linter must never throw on a peer case). */
  error?: string;
}

export async function scoreCase(
  c: PeerCase,
  lint: (sql: string, options: LintOptions) => Promise<LintFinding[]>,
): Promise<Scored> {
  const ours = RULE_MAP[c.peerRule] ?? [];
  try {
    const findings = await lint(c.sql, optionsFor(c));
    const fired = [...new Set(findings.filter((f) => ours.includes(f.rule)).map((f) => f.rule))];
    return { verdict: fired.length ? 'unsafe' : 'safe', fired };
  } catch (err) {
    return { verdict: 'safe', fired: [], error: (err as Error).message };
  }
}
