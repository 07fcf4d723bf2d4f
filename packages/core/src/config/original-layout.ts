import { DbrsError } from '../errors.js';
import { parseIntegerText } from './coerce.js';
import { camelToSnake } from './keys.js';
import { isPlainObject, type PlainObject, setOwn } from './plain-object.js';

/*
 * The original system's file nests its settings (`database.pool.min_size`,
 * `backup.storage.s3.bucket`, …). That nesting is the canonical way to write
 * the YAML; the model that code reads keeps one level per section
 * (`database.poolMinSize`, `backup.s3Bucket`). This table is the whole
 * mapping between the two, applied to each layer before the layers merge, so
 * a nested key and its model spelling are one setting.
 *
 * Paths here are camelCase: layers are camel-cased before folding.
 */

interface Alias {
  /** Path in the original's layout, section first. */
  readonly from: readonly string[];
  /** Path in the model. */
  readonly to: readonly string[];
  /** Unit conversion; returns undefined when the value is not of the expected kind. */
  readonly convert?: { readonly expected: string; readonly apply: (value: unknown) => unknown };
}

const seconds = {
  expected: 'integer (seconds)',
  apply: (value: unknown): unknown => {
    const n = typeof value === 'string' ? parseIntegerText(value) : value;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n * 1000 : undefined;
  },
};

const alias = (from: string, to: string, convert?: Alias['convert']): Alias => ({
  from: from.split('.'),
  to: to.split('.'),
  ...(convert ? { convert } : {}),
});

export const ORIGINAL_LAYOUT: readonly Alias[] = [
  alias('database.pool.minSize', 'database.poolMinSize'),
  alias('database.pool.maxSize', 'database.poolMaxSize'),
  alias('performance.indexing.autoRecommendations', 'performance.indexAdvisor.enabled'),
  alias('performance.indexing.slowQueryThresholdMs', 'performance.slowQueryThresholdMs'),
  alias('performance.monitoring.interval', 'performance.snapshotIntervalMs', seconds),
  alias('performance.monitoring.thresholds.warningMs', 'performance.warningMs'),
  alias('performance.monitoring.thresholds.criticalMs', 'performance.criticalMs'),
  alias('backup.type', 'backup.backupType'),
  alias('backup.storage.type', 'backup.storageType'),
  alias('backup.storage.local.path', 'backup.localPath'),
  alias('backup.storage.s3.bucket', 'backup.s3Bucket'),
  alias('backup.storage.s3.region', 'backup.s3Region'),
  alias('backup.storage.s3.endpoint', 'backup.s3Endpoint'),
  alias('backup.storage.s3.prefix', 'backup.s3Prefix'),
  alias('backup.storage.s3.forcePathStyle', 'backup.s3ForcePathStyle'),
  alias('backup.storage.s3.accessKeyId', 'backup.s3AccessKeyId'),
  alias('backup.storage.s3.secretAccessKey', 'backup.s3SecretAccessKey'),
  alias('backup.storage.azure.container', 'backup.azureContainer'),
  alias('backup.storage.azure.connectionString', 'backup.azureConnectionString'),
  alias('backup.storage.gcs.bucket', 'backup.gcsBucket'),
  alias('backup.storage.gcs.prefix', 'backup.gcsPrefix'),
  alias('backup.storage.gcs.projectId', 'backup.gcsProjectId'),
  alias('backup.storage.gcs.apiEndpoint', 'backup.gcsApiEndpoint'),
  alias('backup.retention.days', 'backup.retentionDays'),
  alias('backup.retention.keepLast', 'backup.keepLast'),
  alias('backup.retention.gfs', 'backup.gfs'),
];

/** Every mapping of the original's layout (`database.pool`, `backup.storage.s3`, …), deepest first. */
const GROUPS: readonly string[] = [
  ...new Set(ORIGINAL_LAYOUT.flatMap((a) => a.from.slice(1, -1).map((_, i) => a.from.slice(0, i + 2).join('.')))),
].sort((a, b) => b.split('.').length - a.split('.').length);

const yamlPath = (path: readonly string[]) => path.map(camelToSnake).join('.');

function childrenOf(group: string): string[] {
  const depth = group.split('.').length;
  const names = ORIGINAL_LAYOUT.filter((a) => a.from.join('.').startsWith(`${group}.`)).map((a) => a.from[depth]!);
  return [...new Set(names)].map(camelToSnake);
}

function get(root: PlainObject, path: readonly string[]): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const key of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return { found: false };
    current = current[key];
  }
  return { found: current !== undefined, value: current };
}

function set(root: PlainObject, path: readonly string[], value: unknown): void {
  let current = root;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (!isPlainObject(next)) setOwn(current, key, {});
    current = current[key] as PlainObject;
  }
  setOwn(current, path.at(-1)!, value);
}

function remove(root: PlainObject, path: readonly string[]): void {
  const parent = get(root, path.slice(0, -1));
  if (parent.found && isPlainObject(parent.value)) delete parent.value[path.at(-1)!];
}

/**
 * Rewrites one layer from the original's nested layout to the model's
 * spelling. `source` names the layer in messages (a file, `overrides`).
 * Fails with CONFIG_INVALID, listing every problem at once: a setting given
 * in both spellings, an unknown key inside one of the original's mappings, a
 * value that is not a mapping where the original has one. Never the value.
 */
export function foldOriginalLayout(layer: PlainObject, source: string): PlainObject {
  const out = structuredClone(layer);
  const problems: string[] = [];
  for (const group of GROUPS) {
    const path = group.split('.');
    const found = get(out, path);
    const isNull = isPlainObject(get(out, path.slice(0, -1)).value) && found.value === null;
    // `azure:` with every child commented out is null: an empty mapping, not a reset.
    if (isNull) remove(out, path);
    else if (found.found && !isPlainObject(found.value)) {
      problems.push(`${yamlPath(path)}: expected a mapping (${childrenOf(group).join(', ')})`);
      remove(out, path);
    }
  }
  for (const a of ORIGINAL_LAYOUT) {
    const nested = get(out, a.from);
    if (!nested.found) continue;
    remove(out, a.from);
    if (get(out, a.to).found) {
      problems.push(
        `${yamlPath(a.from)} and ${yamlPath(a.to)} are one setting given twice; keep ${yamlPath(a.from)} (the original's layout)`,
      );
      continue;
    }
    let value = nested.value;
    if (a.convert && value !== null) {
      value = a.convert.apply(value);
      if (value === undefined) {
        problems.push(`${yamlPath(a.from)}: expected ${a.convert.expected}`);
        continue;
      }
    }
    set(out, a.to, value);
  }
  for (const group of GROUPS) {
    const path = group.split('.');
    const left = get(out, path);
    if (!left.found || !isPlainObject(left.value)) continue;
    for (const key of Object.keys(left.value)) {
      if (GROUPS.includes(`${group}.${key}`)) continue;
      problems.push(
        `${yamlPath([...path, key])}: unknown key (check its spelling; ${yamlPath(path)} takes ${childrenOf(group).join(', ')})`,
      );
    }
    if (Object.keys(left.value).every((key) => !GROUPS.includes(`${group}.${key}`))) remove(out, path);
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new DbrsError(
      'CONFIG_INVALID',
      `Invalid configuration (${count}) in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { details: { source, issues: problems }, hint: 'Fix the keys named above.' },
    );
  }
  return out;
}
