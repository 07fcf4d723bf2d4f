import { Duplex, PassThrough, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { DbrsError } from '@voicehive/db-core';
import { findExecutable } from '@voicehive/db-core/internal';
import type { CompressionType } from '../kinds.js';
import { spawnTool } from '../tools/spawn.js';

export interface CompressionOptions {
  /** zstd default 3, gzip default 1. */
  level?: number;
  /** Path of the `zstd` program, or false for node:zlib. Default: node:zlib. */
  zstdProgram?: string | false;
}

export const COMPRESSION_SUFFIX: Record<CompressionType, string> = { zstd: '.zst', gzip: '.gz', none: '' };

export function assertCompression(value: unknown): asserts value is CompressionType {
  if (value !== 'zstd' && value !== 'gzip' && value !== 'none') {
    throw new DbrsError('CONFIG_INVALID', `Unknown compression "${String(value)}".`, {
      hint: "Use 'zstd' (default), 'gzip' or 'none'.",
    });
  }
}

/** Finds `zstd` on PATH; undefined when absent. */
export function findZstdProgram(pathEnv = process.env['PATH'] ?? ''): string | undefined {
  return findExecutable('zstd', { pathEnv });
}

/** A compressing duplex stream for `kind`. */
export function createCompressor(kind: CompressionType, options: CompressionOptions = {}): Duplex {
  switch (kind) {
    case 'none':
      return new PassThrough({ highWaterMark: 1 << 20 });
    case 'gzip':
      return zlib.createGzip({ level: options.level ?? 1, chunkSize: 1 << 18 });
    case 'zstd':
      if (options.zstdProgram) return programStream(options.zstdProgram, ['-q', '-c', `-${options.level ?? 3}`]);
      return zlib.createZstdCompress({
        chunkSize: 1 << 18,
        params: { [zlib.constants.ZSTD_c_compressionLevel]: options.level ?? 3 },
      });
  }
}

export function createDecompressor(kind: CompressionType): Transform | PassThrough {
  switch (kind) {
    case 'none':
      return new PassThrough({ highWaterMark: 1 << 20 });
    case 'gzip':
      return zlib.createGunzip({ chunkSize: 1 << 18 });
    case 'zstd':
      return zlib.createZstdDecompress({ chunkSize: 1 << 18 });
  }
}

/**
 * Wraps the zstd program (stdin → stdout) as a Duplex. The readable side
 * ends only after the program exited 0, so a crashed compressor can never
 * look like a complete, shorter stream.
 */
export function programStream(program: string, args: string[]): Duplex {
  const zstd = spawnTool('zstd', program, args, { env: process.env, stdin: 'pipe', stdout: 'pipe', stderrLimit: 4096 });
  const stdout = zstd.child.stdout!;
  const stdin = zstd.child.stdin!;
  const duplex = new Duplex({
    readableHighWaterMark: 1 << 18,
    writableHighWaterMark: 1 << 18,
    write(chunk, _enc, cb) {
      if (stdin.write(chunk)) cb();
      else stdin.once('drain', cb);
    },
    final(cb) {
      stdin.end(cb);
    },
    read() {
      stdout.resume();
    },
    destroy(err, cb) {
      // Reaped before the stream reports destroyed, so a failed pipeline leaves no compressor behind.
      zstd.stop().then(() => cb(err));
    },
  });
  stdout.on('data', (d: Buffer) => {
    if (!duplex.push(d)) stdout.pause();
  });
  stdout.on('end', () => {
    zstd.exited.then(
      () => duplex.push(null),
      (err) => duplex.destroy(err),
    );
  });
  zstd.exited.catch((err) => duplex.destroy(err));
  return duplex;
}
