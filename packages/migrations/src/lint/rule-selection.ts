import { DbrsError, errorMessage } from '@voicehive/db-core';
import { ALL_RULES } from './rules/index.js';
import type { LintRuleOptions } from './types.js';

/** Rule selection and naming pattern after validation: plain arrays (an iterable is read once) and a RegExp. */
export interface NormalizedLintRuleOptions {
  enabledRules: string[];
  disabledRules: string[];
  namingPattern?: RegExp;
}

/**
 * Checks rule ids and the naming pattern and returns them in plain form.
 * `prefix` names where they came from in messages (`lint.` for the manager's
 * options, `migrations.lint.` in the suite's config). An unknown id is an
 * error, never ignored: a misspelt disabledRules entry would otherwise
 * disable nothing, and a misspelt enabledRules entry enable nothing, silently.
 */
export function normalizeLintRuleOptions(options: LintRuleOptions | undefined, prefix = ''): NormalizedLintRuleOptions {
  if (options === undefined || options === null) return { enabledRules: [], disabledRules: [] };
  if (typeof options !== 'object') {
    throw new DbrsError(
      'CONFIG_INVALID',
      `${prefix ? prefix.replace(/\.$/, '') : 'lint options'} must be an object with enabledRules, disabledRules and namingPattern, got ${typeof options}.`,
    );
  }
  const enabledRules = ruleList(options.enabledRules, `${prefix}enabledRules`);
  const disabledRules = ruleList(options.disabledRules, `${prefix}disabledRules`);
  const both = enabledRules.filter((id) => disabledRules.includes(id));
  if (both.length > 0) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `Lint rule${both.length > 1 ? 's' : ''} ${both.map((id) => `"${id}"`).join(', ')} ${both.length > 1 ? 'are' : 'is'} in both ${prefix}enabledRules and ${prefix}disabledRules.`,
      { hint: 'Keep each rule in one of the two lists.', details: { rules: both } },
    );
  }
  const namingPattern = toNamingPattern(options.namingPattern, `${prefix}namingPattern`);
  return { enabledRules, disabledRules, ...(namingPattern ? { namingPattern } : {}) };
}

/**
 * `overrides` on top of `base`: enabling a rule also takes it off the disabled
 * list and the other way round, so a command-line flag wins over the config.
 */
export function mergeLintRuleOptions(
  base: NormalizedLintRuleOptions,
  overrides: NormalizedLintRuleOptions,
): NormalizedLintRuleOptions {
  const enabled = new Set([...base.enabledRules, ...overrides.enabledRules]);
  const disabled = new Set([...base.disabledRules, ...overrides.disabledRules]);
  for (const id of overrides.enabledRules) disabled.delete(id);
  for (const id of overrides.disabledRules) enabled.delete(id);
  const namingPattern = overrides.namingPattern ?? base.namingPattern;
  return { enabledRules: [...enabled], disabledRules: [...disabled], ...(namingPattern ? { namingPattern } : {}) };
}

const RULE_IDS: readonly string[] = ALL_RULES.map((r) => r.id).sort();

function ruleList(value: Iterable<string> | undefined, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' || typeof (value as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new DbrsError('CONFIG_INVALID', `${path} must be a list of rule ids, got ${typeof value}.`, {
      hint: `For example ['require-table-schema'].`,
    });
  }
  const ids = [...value];
  for (const id of ids) {
    if (typeof id !== 'string' || !RULE_IDS.includes(id)) {
      const near = typeof id === 'string' ? closest(id) : undefined;
      throw new DbrsError(
        'CONFIG_INVALID',
        `${path} names an unknown lint rule ${typeof id === 'string' ? `"${id}"` : `(a ${typeof id})`}${near ? `; did you mean "${near}"?` : '.'}`,
        {
          hint: `Valid rule ids: ${RULE_IDS.join(', ')}.`,
          details: { rule: typeof id === 'string' ? id : null, validRules: RULE_IDS },
        },
      );
    }
  }
  return ids;
}

function toNamingPattern(value: RegExp | string | undefined, path: string): RegExp | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof RegExp) {
    // RegExp.test with g or y advances lastIndex, so every other name would be checked from the wrong offset.
    return value.global || value.sticky ? new RegExp(value.source, value.flags.replace(/[gy]/g, '')) : value;
  }
  if (typeof value !== 'string' || value === '') {
    throw new DbrsError(
      'CONFIG_INVALID',
      `${path} must be a regular expression or its source text, got ${value === '' ? 'an empty string' : typeof value}.`,
    );
  }
  try {
    // A pattern from a config file is meant for the whole name; unanchored, "[a-z]+" would accept "Bad_Name".
    return new RegExp(`^(?:${value})$`);
  } catch (err) {
    throw new DbrsError('CONFIG_INVALID', `${path} is not a valid regular expression: ${errorMessage(err)}.`, {
      hint: 'Write JavaScript RegExp syntax, e.g. "[a-z][a-z0-9_]*".',
      cause: err,
    });
  }
}

/** The rule id nearest to a misspelling (edit distance at most a third of its length), if any. */
function closest(id: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(id.length / 3)) + 1;
  for (const candidate of RULE_IDS) {
    const d = editDistance(id.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
