import type { z } from 'zod';
import { DbrsError } from '../errors.js';
import { BOOLEAN_WORDS } from './coerce.js';
import { formatPath } from './path.js';
import { isPlainObject } from './plain-object.js';

type Issue = z.core.$ZodIssue;

/** One problem, as reported in `DbrsError.details.issues`: never the value itself. */
export interface ConfigProblem {
  /** Dotted camelCase path, e.g. `database.poolMinSize`. */
  path: string;
  /** What was wrong and what is expected, e.g. `expected integer, got string`. */
  problem: string;
  /** Which layer set the value, when known. */
  source?: string;
}

/**
 * Turns schema issues into one CONFIG_INVALID error listing every problem.
 * Messages are built here from the issue's shape and the value's *type*;
 * the value is never printed, because the bad value might be a password
 * pasted into the wrong field.
 */
export function configInvalidError(
  issues: readonly Issue[],
  input: unknown,
  sources: ReadonlyMap<string, string>,
): DbrsError {
  const problems = issues.flatMap((issue) => describeIssue(issue, input, sources));
  const lines = problems.map(
    (p) => `  - ${p.path}: ${p.problem}${p.source === undefined ? '' : ` (from ${p.source})`}`,
  );
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new DbrsError('CONFIG_INVALID', `Invalid configuration (${count}):\n${lines.join('\n')}`, {
    details: { issues: problems },
  });
}

function describeIssue(issue: Issue, input: unknown, sources: ReadonlyMap<string, string>): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = formatPath([...issue.path, key]);
      return withSource({ path, problem: 'unknown key (check its spelling)' }, sources);
    });
  }
  const path = formatPath(issue.path);
  const present = valueAt(input, issue.path);
  const got = present.found ? typeName(present.value) : 'nothing';
  return [withSource({ path, problem: problemText(issue, got) }, sources)];
}

function problemText(issue: Issue, got: string): string {
  switch (issue.code) {
    case 'invalid_type': {
      // A schema names its expected type in a custom message (see `integer()` in schema.ts).
      const custom = issue.message.startsWith('Invalid input') ? undefined : issue.message;
      const expected = custom ?? EXPECTED[issue.expected] ?? issue.expected;
      const quoteHint = issue.expected === 'string' && (got === 'integer' || got === 'number' || got === 'boolean');
      return `expected ${expected}, got ${got}${quoteHint ? ' (quote it in YAML to keep it text)' : ''}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got === 'string' ? 'another string' : got}`;
    case 'too_small':
      return sizeText('at least', issue.origin, issue.minimum, issue.inclusive ?? true, 'smaller');
    case 'too_big':
      return sizeText('at most', issue.origin, issue.maximum, issue.inclusive ?? true, 'larger');
    case 'invalid_format':
    case 'custom':
      // Messages written in the schema (they describe the rule, never the value).
      return issue.message;
    default:
      return `${issue.message}, got ${got}`;
  }
}

const EXPECTED: Readonly<Record<string, string>> = {
  int: 'integer',
  number: 'number',
  boolean: `boolean (${BOOLEAN_WORDS})`,
  object: 'a mapping',
  array: 'a list',
};

function sizeText(
  bound: string,
  origin: string,
  limit: number | bigint,
  inclusive: boolean,
  direction: string,
): string {
  const op = inclusive ? bound : bound === 'at least' ? 'more than' : 'less than';
  switch (origin) {
    case 'string':
      return limit === 1 && bound === 'at least'
        ? 'expected a non-empty string, got an empty one'
        : `expected a string of ${op} ${limit} characters, got a ${direction === 'smaller' ? 'shorter' : 'longer'} one`;
    case 'array':
      return `expected a list of ${op} ${limit} items, got ${direction === 'smaller' ? 'fewer' : 'more'}`;
    default:
      return `expected a number ${op} ${limit}, got a ${direction} one`;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : Number.isNaN(value) ? 'NaN' : 'number';
  if (typeof value === 'object') return isPlainObject(value) ? 'mapping' : (value.constructor?.name ?? 'object');
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return { found: false };
    const container = current as Record<PropertyKey, unknown>;
    if (!Object.hasOwn(container, segment)) return { found: false };
    current = container[segment];
  }
  return { found: current !== undefined, value: current };
}

/** The layer that set this value or, for a mapping, one of the values inside it. */
function withSource(problem: ConfigProblem, sources: ReadonlyMap<string, string>): ConfigProblem {
  const exact = sources.get(problem.path);
  if (exact !== undefined) return { ...problem, source: exact };
  for (const [path, source] of sources) {
    if (path.startsWith(`${problem.path}.`) || path.startsWith(`${problem.path}[`)) return { ...problem, source };
  }
  return problem;
}
