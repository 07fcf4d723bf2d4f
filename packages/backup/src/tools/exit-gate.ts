import { Transform, type TransformCallback } from 'node:stream';
import type { RunningTool } from './spawn.js';

/**
 * Passes a tool's stdout through but ends only once the tool exited 0. A
 * killed pg_dump closes stdout like a finished one; without this gate its
 * truncated output would be stored as a complete backup.
 */
export function gatedOutput(tool: RunningTool): Transform {
  const gate = new Transform({
    highWaterMark: 1 << 18,
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      tool.exited.then(() => cb(), cb);
    },
  });
  // As in zstd-pipe: the failure also arrives through `exited`, and a consumer that gave up no longer listens.
  gate.on('error', () => {});
  tool.exited.catch((err) => gate.destroy(err));
  tool.child.stdout!.pipe(gate);
  tool.child.stdout!.on('error', (err) => gate.destroy(err));
  return gate;
}
