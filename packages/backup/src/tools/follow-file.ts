import { access, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FollowFileOptions {
  /**
   * The writer's end: resolves once it exited cleanly (the file is complete),
   * rejects with its failure. Every wait below is bounded by it, so a writer
   * that dies (or never creates the file) cannot leave the reader waiting.
   */
  writerDone: Promise<void>;
  /** How long to wait for more bytes once the reader has caught up with the writer. Default 20 ms. */
  pollMs?: number;
  /** Bytes per read. Default 256 KiB. */
  chunkBytes?: number;
}

/** Watches a promise without taking over its rejection: `state.done` flips once it settled, either way. */
function track(p: Promise<void>): { done: boolean; failure?: unknown; settled: Promise<void> } {
  const state: { done: boolean; failure?: unknown; settled: Promise<void> } = { done: false, settled: p };
  state.settled = p.then(
    () => {
      state.done = true;
    },
    (err: unknown) => {
      state.failure = err ?? new Error('the writer failed');
      state.done = true;
    },
  );
  return state;
}

/**
 * Waits until `path` exists (true) or the writer has ended without creating
 * it (false; the caller then looks at how the writer ended). Never waits
 * longer than the writer lives.
 */
export async function whenFileAppears(path: string, options: FollowFileOptions): Promise<boolean> {
  const writer = track(options.writerDone);
  for (;;) {
    // Sampled before the look: a file created just before the writer ended is still found.
    const ended = writer.done;
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return true;
    if (ended) return false;
    await Promise.race([writer.settled, sleep(options.pollMs ?? 20)]);
  }
}

/**
 * Streams a file that another process is still appending to (pg_basebackup's
 * base tar), so storing it overlaps with writing it instead of re-reading
 * it afterwards. Only for a writer that never rewrites what it wrote: the
 * bytes read are final. The stream ends once the writer exited cleanly and
 * every byte is read, and fails as soon as the writer failed, so a killed
 * tool's truncated file is never stored as complete.
 */
export function followFile(path: string, options: FollowFileOptions): Readable {
  const chunkBytes = options.chunkBytes ?? 1 << 18;
  const pollMs = options.pollMs ?? 20;
  const writer = track(options.writerDone);
  async function* chunks(): AsyncGenerator<Buffer> {
    const fh = await open(path, 'r');
    try {
      let position = 0;
      for (;;) {
        if (writer.failure !== undefined) throw writer.failure;
        // Sampled before the read: once the writer has ended, an empty read is the true end of the file.
        const ended = writer.done;
        const buf = Buffer.allocUnsafe(chunkBytes);
        const { bytesRead } = await fh.read(buf, 0, chunkBytes, position);
        if (bytesRead > 0) {
          position += bytesRead;
          yield buf.subarray(0, bytesRead);
        } else if (ended) return;
        else await Promise.race([writer.settled, sleep(pollMs)]);
      }
    } finally {
      await fh.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: chunkBytes });
}
