import type { CommandContext } from '../context.js';

type Run = (ctx: CommandContext) => Promise<number>;

/**
 * A command whose module (and so its feature package) is imported only when it
 * runs: help and usage errors stay instant (importing every feature package
 * took over a second).
 */
export function lazy<M extends Record<K, Run>, K extends string>(load: () => Promise<M>, name: K): Run {
  return async (ctx) => (await load())[name](ctx);
}
