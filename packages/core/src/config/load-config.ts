import { DbrsError } from '../errors.js';
import { configFromEnv, type EnvSource, readFileSecrets } from './env.js';
import { chooseEnvironment, ENVIRONMENTS_KEY, splitEnvironments } from './environment.js';
import { camelToSnake } from './keys.js';
import type { ConfigLayer } from './merge.js';
import { isPlainObject, type PlainObject } from './plain-object.js';
import type { DbrsConfig, DbrsConfigInput } from './schema.js';
import { substituteVariables } from './substitute.js';
import { toLayerData, validateLayers } from './validate-config.js';
import { type ConfigDocument, chooseConfigFile, documentToObject, readConfigDocument } from './yaml.js';

export interface LoadConfigOptions {
  /**
   * YAML file to read, relative to `cwd`. It must exist. Default: the file
   * named by `DBRS_CONFIG` (which must exist too), else `database_config.yaml`
   * in `cwd` when there is one. `false` reads no file.
   */
  file?: string | false;
  /**
   * Which `environments.<name>` section of the file to apply. Default:
   * `DBRS_ENV`, else `NODE_ENV`. A name given here or in DBRS_ENV must have a
   * section (when the file has any); NODE_ENV is generic, so a missing
   * section for it is fine.
   */
  environment?: string;
  /** Environment variables for the env layer, `${VAR}` and `_FILE`. Default: `process.env`. */
  env?: EnvSource;
  /** Applied last, deep-merged; camelCase or snake_case keys. Default: none. */
  overrides?: DbrsConfigInput;
  /** Base for relative paths (the file, `DBRS_CONFIG`, `*_FILE`). Default: `process.cwd()`. */
  cwd?: string;
}

/**
 * Builds the configuration from, later winning: built-in defaults, the YAML
 * file, its `environments.<name>` section, environment variables, and
 * `overrides`. The result is validated and deeply frozen.
 *
 * Synchronous on purpose: it runs once at startup on one small file, and a
 * plain return lets callers build config in constructors and module scope.
 *
 * Fails with a DbrsError: CONFIG_FILE_NOT_FOUND, CONFIG_PARSE (with line and
 * column), CONFIG_UNKNOWN_ENVIRONMENT, CONFIG_VARIABLE_UNSET or
 * CONFIG_INVALID (every problem at once, with paths and types, never values).
 */
export function loadConfig(options: LoadConfigOptions = {}): DbrsConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const resolvedEnv = readFileSecrets(env, cwd);
  const environment = chooseEnvironment(options.environment, env);

  const layers: ConfigLayer[] = [];
  const fileChoice = chooseConfigFile(options.file, env, cwd);
  const doc = fileChoice === undefined ? undefined : readConfigDocument(fileChoice);
  if (doc !== undefined) {
    const parts = splitEnvironments(doc, environment);
    const sectionPath = `${ENVIRONMENTS_KEY}.${environment.name}`;
    substituteVariables(
      doc,
      [...parts.base.map((pair) => ({ prefix: '', node: pair })), { prefix: sectionPath, node: parts.section }],
      resolvedEnv.env,
    );
    const { [ENVIRONMENTS_KEY]: environments, ...base } = documentToObject(doc);
    layers.push({ source: yamlSource(doc, ''), data: toLayerData(base, doc.path) });
    if (parts.section !== undefined && environment.name !== undefined) {
      const section = (environments as PlainObject)[environment.name];
      if (section !== null && section !== undefined) {
        if (!isPlainObject(section)) {
          throw new DbrsError(
            'CONFIG_INVALID',
            `Invalid configuration: ${sectionPath} in ${doc.path} must be a mapping of sections (database:, backup:, …).`,
            { details: { file: doc.path, path: sectionPath } },
          );
        }
        layers.push({
          source: yamlSource(doc, `${sectionPath}.`),
          data: toLayerData(section, `${doc.path}, ${sectionPath}`),
        });
      }
    }
  }

  const envLayer = configFromEnv(resolvedEnv);
  layers.push({ source: (path) => `environment variable ${envLayer.variables.get(path) ?? '?'}`, data: envLayer.data });

  if (options.overrides !== undefined) {
    if (!isPlainObject(options.overrides)) {
      throw new DbrsError('INVALID_ARGUMENT', 'loadConfig: `overrides` must be a plain object.');
    }
    layers.push({ source: 'overrides', data: toLayerData(options.overrides, 'overrides') });
  }

  return validateLayers(layers, environment.name ?? 'default');
}

/** `/etc/dbrs/database_config.yaml, database.pool_min_size`: the key in the file's snake_case spelling. */
function yamlSource(doc: ConfigDocument, prefix: string): (path: string) => string {
  return (path) => `${doc.path}, ${prefix}${path.split('.').map(camelToSnake).join('.')}`;
}
