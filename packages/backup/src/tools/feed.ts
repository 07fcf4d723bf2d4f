import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortError, isDbrsError } from '@voicehive/db-core';
import type { RunningTool } from './spawn.js';

/** Codes a feed fails with when only the reader stopped early: the child closed its stdin. */
const READER_STOPPED = new Set(['EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Streams `source` (through `stages`) into a spawned tool's stdin and waits
 * for both. Which failure is the cause, in order:
 * - the abort (the tool is stopped first);
 * - a DbrsError from the source (a damaged or undecryptable object), even if
 *   the tool then failed on the short stream;
 * - the tool's own failure (the feed's broken pipe is only its echo);
 * - any other feed error.
 * A tool that succeeded may have stopped reading before the end (pg_restore
 * with a --table subset needs nothing after its last entry): the feed then
 * fails with EPIPE, or with a premature close when the stdin closed between
 * two writes of a stage. That is not a failure.
 * Every path that throws leaves no child behind.
 */
export async function feedTool(
  tool: RunningTool,
  source: Readable,
  options: {
    stages?: Transform[];
    signal?: AbortSignal;
    /** Names the operation in the abort error. */
    operation: string;
    /** Says what the tool's failure means for the caller (RESTORE_FAILED …). Default: the tool's error. */
    toolFailed?: (err: unknown) => unknown;
  },
): Promise<void> {
  const stages = options.stages ?? [];
  // The abort stops the tool at once, also one spawned without the signal: a psql blocked on a lock would
  // otherwise hold the abort until it finished by itself.
  const onAbort = () => void tool.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const feed = pipeline([source, ...stages, tool.child.stdin!] as unknown as [Readable, ...Transform[]], {
    signal: options.signal,
  });
  const [fed, exited] = await Promise.allSettled([feed, tool.exited]).finally(() =>
    options.signal?.removeEventListener('abort', onAbort),
  );
  if (options.signal?.aborted) {
    await tool.stop();
    throw abortError(options.signal, options.operation);
  }
  if (fed.status === 'rejected' && isDbrsError(fed.reason)) {
    await tool.stop();
    throw fed.reason;
  }
  if (exited.status === 'rejected') throw options.toolFailed ? options.toolFailed(exited.reason) : exited.reason;
  const code = fed.status === 'rejected' ? (fed.reason as { code?: string })?.code : undefined;
  if (fed.status === 'rejected' && !READER_STOPPED.has(code ?? '')) {
    await tool.stop();
    throw fed.reason;
  }
}
