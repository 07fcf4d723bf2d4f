import { spawn } from 'node:child_process';
import { text } from 'node:stream/consumers';
import { requireComponent } from '@voicehive/db-testing';
import { describe, expect, it } from 'vitest';
import { zstdPipe } from '../src/tools/zstd-pipe.js';
import { hasZstd } from './helpers/processes.js';

describe.skipIf(!requireComponent('zstd', hasZstd, 'apt-get install zstd'))('zstdPipe', () => {
  // Small outputs are where zstd pads the byte count ("(     6 B =>"); a dump of
  // a small database once failed here with "did not report the uncompressed size".
  it.each([0, 6, 123_456, 2_000_000])('reports the exact uncompressed size of %i bytes', async (size) => {
    const pipe = zstdPipe('zstd', 3);
    const producer = spawn('head', ['-c', String(size), '/dev/zero'], { stdio: ['ignore', pipe.stdin, 'pipe'] });
    const exited = new Promise<void>((resolve, reject) =>
      producer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`head exited ${code}`)))),
    );
    pipe.attach({ child: producer, exited, stderr: () => '' });
    const compressed = await text(pipe.output.setEncoding('latin1'));
    expect(compressed.length).toBeGreaterThan(0);
    expect(pipe.rawBytes()).toBe(size);
  });
});
