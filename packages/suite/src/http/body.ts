import type { IncomingMessage } from 'node:http';
import { DbrsError } from '@voicehive/db-core';

/** Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes (default 8 KiB). */
export async function readForm(req: IncomingMessage, limit = 8 * 1024): Promise<URLSearchParams> {
  // Express body parsers may have consumed the stream already.
  const parsed = (req as { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    return new URLSearchParams(
      Object.entries(parsed as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]),
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new DbrsError('INVALID_ARGUMENT', `Form body larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
