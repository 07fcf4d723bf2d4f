import { DbrsError } from '@voicehive/db-core';
import { relName } from './ast.js';
import { readLintInput } from './directives.js';
import { loadParser, parseSqlSync, SqlSyntaxError } from './parse.js';
import type { RuleContext, RuleHit } from './rule.js';
import { normalizeLintRuleOptions } from './rule-selection.js';
import { UNCOMMITTED_MESSAGE } from './rules/ban-uncommitted-transaction.js';
import { ALL_RULES } from './rules/index.js';
import { LintState, TxState } from './state.js';
import { collectSuppressions } from './suppression.js';
import type { LintFinding, LintOptions } from './types.js';
import { toVersionNum } from './version.js';

export interface ResolvedLintOptions {
  version: number;
  lockTimeoutManaged: boolean;
  statementTimeoutManaged: boolean;
  timeZone: string | undefined;
  disabled: Set<string>;
  enabled: Set<string>;
  namingPattern: RegExp;
}

export const DEFAULT_NAMING_PATTERN = /^[a-z_][a-z0-9_]*$/;

/** Whether `rule` runs at all under these options (suppressions are per statement, on top). */
export function ruleActive(rule: { id: string; optIn?: boolean }, opts: ResolvedLintOptions): boolean {
  if (opts.disabled.has(rule.id)) return false;
  return !rule.optIn || opts.enabled.has(rule.id);
}

/** Throws DbrsError CONFIG_INVALID for an unknown rule id or a bad naming pattern. */
export function resolveLintOptions(options: LintOptions): ResolvedLintOptions {
  const rules = normalizeLintRuleOptions(options);
  return {
    version: toVersionNum(options.serverVersion),
    lockTimeoutManaged: options.lockTimeoutManaged ?? false,
    statementTimeoutManaged: options.statementTimeoutManaged ?? false,
    timeZone: options.timeZone,
    disabled: new Set(rules.disabledRules),
    enabled: new Set(rules.enabledRules),
    namingPattern: rules.namingPattern ?? DEFAULT_NAMING_PATTERN,
  };
}

export function createLintState(options: LintOptions): LintState {
  return new LintState({
    defaultSchema: options.defaultSchema ?? 'public',
    knownNewTables: options.knownNewTables,
    catalog: options.catalog,
  });
}

/**
 * Lints one migration text against `state`, which it then advances. The
 * building block of lintSql and lintMigrations (which shares one state across
 * the sequence). The parser must be loaded.
 */
// Long: the per-statement loop and the end-of-text rules share the lint state.
export function lintText(
  sql: string,
  transactional: boolean,
  state: LintState,
  opts: ResolvedLintOptions,
  name?: string,
): LintFinding[] {
  state.currentMigration = name;
  const findings: LintFinding[] = [];
  let parsed: ReturnType<typeof parseSqlSync>;
  try {
    parsed = parseSqlSync(sql);
  } catch (err) {
    if (!(err instanceof SqlSyntaxError)) throw err;
    return [
      {
        rule: 'syntax-error',
        severity: 'error',
        message: `${err.message} (line ${err.line}, column ${err.column}).`,
        line: err.line,
        statement: sql.split('\n')[err.line - 1]?.trim() ?? '',
      },
    ];
  }
  const { byStatement, problems } = collectSuppressions(parsed.comments, parsed.statements);
  for (const p of problems)
    findings.push({ rule: 'invalid-suppression', severity: 'error', message: p.message, line: p.line, statement: '' });
  state.beginMigration();
  let explicitTx = false;
  let openBegin: { line: number; statement: string } | undefined;
  parsed.statements.forEach((stmt, i) => {
    const suppressed = new Set<string>();
    for (const s of byStatement.get(i) ?? []) for (const r of s.rules) suppressed.add(r);
    const ctx: RuleContext = {
      stmt,
      type: stmt.type,
      node: stmt.node,
      version: opts.version,
      inTransaction: transactional || explicitTx,
      runnerTransaction: transactional,
      lockTimeoutManaged: opts.lockTimeoutManaged,
      statementTimeoutManaged: opts.statementTimeoutManaged,
      timeZone: opts.timeZone,
      namingPattern: opts.namingPattern,
      state,
      rel: (rv) => relName(rv, state.defaultSchema),
    };
    for (const rule of ALL_RULES) {
      if (!ruleActive(rule, opts) || suppressed.has(rule.id)) continue;
      const out = rule.check(ctx);
      const hits: RuleHit[] = out === undefined ? [] : Array.isArray(out) ? out : [out];
      for (const h of hits) {
        const message = typeof h === 'string' ? h : h.message;
        const severity = typeof h === 'string' ? rule.severity : (h.severity ?? rule.severity);
        findings.push({ rule: rule.id, severity, message, line: stmt.line, statement: stmt.text });
      }
    }
    // Rules reported at the end (foreign-key-without-index) honour the suppression of the statement they belong to.
    state.apply(stmt, suppressed);
    if (stmt.type === 'TransactionStmt') {
      const kind = String(stmt.node.kind);
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
        explicitTx = true;
        openBegin = { line: stmt.line, statement: stmt.text };
      } else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') {
        explicitTx = false;
        openBegin = undefined;
        if (!transactional) state.tx = new TxState();
      }
    } else if (!transactional && !explicitTx) state.tx = new TxState();
  });
  if (openBegin && !opts.disabled.has('ban-uncommitted-transaction')) {
    findings.push({
      rule: 'ban-uncommitted-transaction',
      severity: 'error',
      message: UNCOMMITTED_MESSAGE,
      ...openBegin,
    });
  }
  return findings;
}

/**
 * Lints one SQL text with the real PostgreSQL parser. The text is read like a
 * .sql migration file (`-- dbrs:no-transaction`, `-- migrate:up/down`); an
 * explicit `transactional` wins over the directive.
 * Defaults: serverVersion 15, transactional true, lockTimeoutManaged false.
 */
export async function lintSql(sql: string, options: LintOptions = {}): Promise<LintFinding[]> {
  if (typeof sql !== 'string') throw new DbrsError('INVALID_ARGUMENT', 'lintSql expects the SQL text as a string.');
  const opts = resolveLintOptions(options);
  await loadParser();
  const state = createLintState(options);
  const input = readLintInput(sql, options.transactional);
  return [
    ...(input.problem ? [input.problem] : []),
    ...lintText(input.sql, input.transactional, state, opts),
    ...finishLint(state, opts),
  ];
}

/** Findings of rules that need the whole text or sequence first. */
export function finishLint(state: LintState, opts: ResolvedLintOptions): LintFinding[] {
  const out: LintFinding[] = [];
  for (const rule of ALL_RULES) {
    if (!rule.end || !ruleActive(rule, opts)) continue;
    for (const { suppressed, ...f } of rule.end(state)) {
      if (suppressed?.has(rule.id)) continue;
      out.push({ rule: rule.id, severity: rule.severity, ...f });
    }
  }
  return out;
}
