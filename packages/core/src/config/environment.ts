import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { DbrsError } from '../errors.js';
import type { EnvSource } from './env.js';
import type { ConfigDocument } from './yaml.js';

export interface EnvironmentChoice {
  name: string | undefined;
  /**
   * Named on purpose (option or DBRS_ENV) rather than picked up from the
   * generic NODE_ENV, so a missing section is a mistake worth stopping for.
   */
  explicit: boolean;
  /** Where the name came from, for messages. */
  from: 'option' | 'DBRS_ENV' | 'NODE_ENV' | undefined;
}

export function chooseEnvironment(option: string | undefined, env: EnvSource): EnvironmentChoice {
  if (option !== undefined && option !== '') return { name: option, explicit: true, from: 'option' };
  const dbrsEnv = env['DBRS_ENV'];
  if (dbrsEnv !== undefined && dbrsEnv !== '') return { name: dbrsEnv, explicit: true, from: 'DBRS_ENV' };
  const nodeEnv = env['NODE_ENV'];
  if (nodeEnv !== undefined && nodeEnv !== '') return { name: nodeEnv, explicit: false, from: 'NODE_ENV' };
  return { name: undefined, explicit: false, from: undefined };
}

export const ENVIRONMENTS_KEY = 'environments';

export interface DocumentParts {
  /** Top-level pairs other than `environments`: the base layer. */
  base: Pair[];
  /** The chosen `environments.<name>` value, if there is one. */
  section: Node | undefined;
  /** Whether the file has an `environments` mapping at all. */
  hasEnvironments: boolean;
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/**
 * Splits the document into the base layer and the chosen environment's
 * section, working on the syntax tree so `${VAR}` substitution can run on
 * exactly those parts: a variable referenced only by another environment's
 * section must not be required here.
 */
export function splitEnvironments(doc: ConfigDocument, choice: EnvironmentChoice): DocumentParts {
  const root = doc.document.contents;
  if (root === null) return { base: [], section: undefined, hasEnvironments: false };
  if (!isMap(root)) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `Invalid configuration: ${doc.path} must hold a mapping of sections (database:, backup:, …).`,
      { details: { file: doc.path } },
    );
  }
  const base: Pair[] = [];
  let environments: Pair | undefined;
  for (const pair of root.items) {
    if (keyText(pair) === ENVIRONMENTS_KEY) environments = pair;
    else base.push(pair);
  }
  if (environments === undefined || environments.value === null) {
    return { base, section: undefined, hasEnvironments: false };
  }
  if (!isMap(environments.value)) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `Invalid configuration: "${ENVIRONMENTS_KEY}" in ${doc.path} must be a mapping of environment names to sections.`,
      { details: { file: doc.path, path: ENVIRONMENTS_KEY } },
    );
  }
  const sections = environments.value.items;
  const known = sections.map(keyText).filter((name): name is string => name !== undefined);
  if (choice.name === undefined) return { base, section: undefined, hasEnvironments: true };
  const chosen = sections.find((pair) => keyText(pair) === choice.name);
  if (chosen === undefined) {
    if (!choice.explicit) return { base, section: undefined, hasEnvironments: true };
    const via = choice.from === 'option' ? 'the environment option' : choice.from;
    throw new DbrsError(
      'CONFIG_UNKNOWN_ENVIRONMENT',
      `Environment "${choice.name}" (from ${via}) has no section under "${ENVIRONMENTS_KEY}" in ${doc.path}; ` +
        `known environments: ${known.length > 0 ? known.join(', ') : '(none)'}.`,
      {
        details: { environment: choice.name, from: choice.from, known, file: doc.path },
        hint: `Add environments.${choice.name} to the file or choose one of the known names.`,
      },
    );
  }
  return { base, section: (chosen.value as Node | null) ?? undefined, hasEnvironments: true };
}
