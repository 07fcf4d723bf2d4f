import type { IncomingMessage } from 'node:http';
import { FaultTriggered } from './gcs-http.js';

/** Makes upload requests fail, so backup code can be tested against a broken upload. */
export interface GcsFault {
  /** Fail the upload request during which this many upload bytes (counted from injection) have arrived. Default 0. */
  failAfterBytes?: number;
  /**
   * Answer with this HTTP status (503 and 429 make the SDK retry, 4xx do not).
   * Default: no answer at all — the connection is dropped, like a network failure.
   */
  status?: number;
  /** How many requests fail before the fault clears itself. Default 1. */
  times?: number;
}

/** Injected faults, oldest first, and the body reader that fires them on upload bytes. */
export class GcsFaults {
  readonly #queue: Array<{ failAfterBytes: number; times: number; status?: number; seen: number }> = [];

  inject(fault: GcsFault): void {
    this.#queue.push({
      failAfterBytes: fault.failAfterBytes ?? 0,
      times: fault.times ?? 1,
      seen: 0,
      ...(fault.status !== undefined ? { status: fault.status } : {}),
    });
  }

  clear(): void {
    this.#queue.length = 0;
  }

  /** The whole body; with `isUpload`, rejects with FaultTriggered once the first fault's byte count is passed. */
  readBody(req: IncomingMessage, isUpload: boolean): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        const fault = isUpload ? this.#queue[0] : undefined;
        if (fault) {
          fault.seen += chunk.length;
          if (fault.seen > fault.failAfterBytes) {
            fault.times--;
            fault.seen = 0;
            if (fault.times <= 0) this.#queue.shift();
            req.removeAllListeners('data');
            reject(new FaultTriggered(fault.status));
            return;
          }
        }
        chunks.push(chunk);
      });
      req.once('end', () => resolve(Buffer.concat(chunks)));
      req.once('error', reject);
    });
  }
}
