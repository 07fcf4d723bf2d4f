import type { Node, ParsedStatement } from './parse.js';
import type { LintState } from './state.js';
import type { Severity } from './types.js';

export interface RuleContext {
  stmt: ParsedStatement;
  type: string;
  node: Node;
  /** server_version_num of the target, e.g. 150018. */
  version: number;
  /** The statement runs inside a transaction block (the runner's, or an explicit BEGIN). */
  inTransaction: boolean;
  /** The runner wraps the whole migration in a transaction. */
  runnerTransaction: boolean;
  lockTimeoutManaged: boolean;
  /** See LintOptions.statementTimeoutManaged. */
  statementTimeoutManaged: boolean;
  /** See LintOptions.timeZone (undefined: unknown). */
  timeZone: string | undefined;
  /** See LintOptions.namingPattern. */
  namingPattern: RegExp;
  /** State before this statement. */
  state: LintState;
  /** `schema.table` for a RangeVar, with the default schema applied. */
  rel(rv: Node | undefined): string;
}

export type RuleHit = string | { message: string; severity?: Severity };

export interface LintRule {
  /** Stable id, used in findings and in `-- dbrs-lint-ignore <id>: <why>`. */
  id: string;
  severity: Severity;
  /**
   * Row id in the project's table of migration hazards that the peers' rules were consolidated into:
   * L = a lock or rewrite hazard (L1…L25), C = a compatibility hazard (C1…C14), H = housekeeping.
   * Groups rules that answer one hazard; `summary` and each finding's message and hint make a rule self-contained.
   */
  anchor: string;
  summary: string;
  /** Off unless named in LintOptions.enabledRules (noisy for most projects, as in squawk). */
  optIn?: boolean;
  check(ctx: RuleContext): RuleHit[] | RuleHit | undefined;
  /** Called once after the whole text or sequence, for rules that need everything seen (e.g. an index created later). */
  end?(state: LintState): Array<{
    message: string;
    line: number;
    statement: string;
    migration?: string;
    /** Rules suppressed on the statement the finding belongs to (`-- dbrs-lint-ignore`). */
    suppressed?: ReadonlySet<string>;
  }>;
}

export function defineRule(rule: LintRule): LintRule {
  return rule;
}
