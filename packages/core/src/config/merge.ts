import { formatPath } from './path.js';
import { isPlainObject, type PlainObject, setOwn } from './plain-object.js';

/** One layer of configuration and where it came from (for error messages). */
export interface ConfigLayer {
  /** Shown after a bad value, e.g. `environment variable DB_PORT` or `overrides`. */
  source: string | ((path: string) => string);
  data: PlainObject;
}

export interface MergedConfig {
  value: PlainObject;
  /** Dotted path of every value set by a layer → the source of its final value. */
  sources: Map<string, string>;
}

/**
 * Deep-merges layers, later wins. Mappings merge key by key; arrays and
 * scalars replace whole (merging two recipient lists element-wise would
 * invent a list nobody wrote). `undefined` leaves the earlier value, so an
 * options object with unset fields changes nothing; `null` removes it,
 * which is how a later layer returns a key to its built-in default.
 */
export function mergeLayers(layers: readonly ConfigLayer[]): MergedConfig {
  const value: PlainObject = {};
  const sources = new Map<string, string>();
  for (const layer of layers) mergeInto(value, layer.data, [], layer, sources);
  return { value, sources };
}

function mergeInto(
  target: PlainObject,
  source: PlainObject,
  path: readonly string[],
  layer: ConfigLayer,
  sources: Map<string, string>,
): void {
  for (const [key, incoming] of Object.entries(source)) {
    if (incoming === undefined) continue;
    const childPath = [...path, key];
    const dotted = formatPath(childPath);
    if (incoming === null) {
      delete target[key];
      forgetSources(sources, dotted);
      continue;
    }
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(incoming)) {
      const child: PlainObject = isPlainObject(current) ? current : {};
      if (child !== current) {
        setOwn(target, key, child);
        forgetSources(sources, dotted);
      }
      mergeInto(child, incoming, childPath, layer, sources);
      continue;
    }
    forgetSources(sources, dotted);
    setOwn(target, key, Array.isArray(incoming) ? [...incoming] : incoming);
    sources.set(dotted, typeof layer.source === 'function' ? layer.source(dotted) : layer.source);
  }
}

/** Drops the recorded source of `dotted` and everything below it: that value was replaced. */
function forgetSources(sources: Map<string, string>, dotted: string): void {
  for (const key of sources.keys()) {
    if (key === dotted || key.startsWith(`${dotted}.`) || key.startsWith(`${dotted}[`)) sources.delete(key);
  }
}
