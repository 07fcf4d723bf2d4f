import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SEG = 16 * 1024 * 1024;

/**
 * A WAL segment file with a valid long page header (the fields `wal push`
 * checks: magic/info, page address of the name, system id, segment size)
 * and random bytes after it. For the archive's own logic; the end-to-end
 * tests archive what a real PostgreSQL writes.
 */
export function craftSegment(name: string, options: { sysid?: bigint; fill?: Buffer } = {}): Buffer {
  const tli = Number.parseInt(name.slice(0, 8), 16);
  const segno = BigInt(`0x${name.slice(8, 16)}`) * 256n + BigInt(`0x${name.slice(16, 24)}`);
  const buf = Buffer.alloc(SEG);
  (options.fill ?? randomBytes(64 * 1024)).copy(buf, 8192);
  buf.writeUInt16LE(0xd110, 0);
  buf.writeUInt16LE(0x0002, 2);
  buf.writeUInt32LE(tli, 4);
  buf.writeBigUInt64LE(segno * BigInt(SEG), 8);
  buf.writeBigUInt64LE(options.sysid ?? 7_300_000_000_000_000_001n, 24);
  buf.writeUInt32LE(SEG, 32);
  buf.writeUInt32LE(8192, 36);
  return buf;
}

export async function writeSegment(dir: string, name: string, options?: Parameters<typeof craftSegment>[1]) {
  const path = join(dir, name);
  await writeFile(path, craftSegment(name, options));
  return path;
}
