import { type ChildProcess, spawn } from 'node:child_process';
import { Duplex, PassThrough, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { DbrsError } from '@voicehive/db-core';
import { findExecutable } from '@voicehive/db-core/internal';
import type { CompressionType } from '../kinds.js';
import { reaper } from '../tools/reap.js';

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
 * Wraps a filter program (stdin → stdout) as a Duplex. The readable side
 * ends only after the program exited 0, so a crashed compressor can never
 * look like a complete, shorter stream.
 */
export function programStream(program: string, args: string[]): Duplex {
  const child: ChildProcess = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err) =>
      reject(new DbrsError('TOOL_MISSING', `Cannot run ${program}: ${err.message}.`, { cause: err })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new DbrsError('TOOL_FAILED', `${program} exited with ${signal ?? `code ${code}`}: ${stderr.trim()}`.trim(), {
            details: { program, code, signal },
          }),
        );
    });
  });
  exited.catch(() => {});
  const stop = reaper(child);
  const stdout = child.stdout!;
  const stdin = child.stdin!;
  stdin.on('error', () => {});
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
      stop().then(() => cb(err));
    },
  });
  stdout.on('data', (d: Buffer) => {
    if (!duplex.push(d)) stdout.pause();
  });
  stdout.on('end', () => {
    exited.then(
      () => duplex.push(null),
      (err) => duplex.destroy(err),
    );
  });
  exited.catch((err) => duplex.destroy(err));
  return duplex;
}
