import { DbrsError } from '../errors.js';
import { deepFreeze } from './freeze.js';
import { configInvalidError } from './issues.js';
import { camelCaseKeys } from './keys.js';
import { type ConfigLayer, mergeLayers } from './merge.js';
import { foldOriginalLayout } from './original-layout.js';
import { isPlainObject, type PlainObject } from './plain-object.js';
import { configSchema, type DbrsConfig } from './schema.js';

/** One layer in the model's spelling: camelCase keys, the original's nesting folded. */
export function toLayerData(value: PlainObject, source: string): PlainObject {
  return foldOriginalLayout(camelCaseKeys(value) as PlainObject, source);
}

/** Merges layers (later wins) and validates the result against the one schema. */
export function validateLayers(layers: readonly ConfigLayer[], environment = 'default'): DbrsConfig {
  const merged = mergeLayers(layers);
  if (Object.hasOwn(merged.value, 'environment')) {
    // Accepting it would make the reported environment disagree with the section actually applied.
    throw new DbrsError(
      'CONFIG_INVALID',
      `Invalid configuration: "environment" cannot be set (from ${merged.sources.get('environment') ?? 'a layer'}).`,
      { hint: 'Choose the environment with the environment option, DBRS_ENV or NODE_ENV.' },
    );
  }
  merged.value['environment'] = environment;
  const parsed = configSchema.safeParse(merged.value);
  if (!parsed.success) throw configInvalidError(parsed.error.issues, merged.value, merged.sources);
  return deepFreeze(parsed.data);
}

/**
 * Validates a configuration given in code (no file, no environment
 * variables): a partial config in the model's spelling (or the original's
 * nesting, or snake_case), or a whole `loadConfig()` result, which passes
 * through unchanged in value. Same errors as `loadConfig`.
 */
export function validateConfig(input: unknown, options: { source?: string } = {}): DbrsConfig {
  if (!isPlainObject(input)) {
    throw new DbrsError(
      'CONFIG_INVALID',
      'Invalid configuration: expected an object of sections (database, backup, …).',
    );
  }
  const { environment, ...rest } = input;
  const source = options.source ?? 'the configuration object';
  return validateLayers(
    [{ source, data: toLayerData(rest, source) }],
    typeof environment === 'string' && environment !== '' ? environment : 'default',
  );
}
