import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findPgBouncer, requireComponent } from '../src/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/hold-servers.ts', import.meta.url));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Held {
  postgresPort: number;
  dataDir: string;
  bouncerPort: number;
  s3Directory: string;
}

describe.skipIf(!requireComponent('pgbouncer', findPgBouncer() !== undefined))(
  'servers outliving their test process',
  () => {
    it('are stopped and their files removed when the process is SIGKILLed', async () => {
      const child = spawn(`${repoRoot}scripts/run-source.sh`, [fixture], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const held = await new Promise<Held>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const line = out.split('\n').find((text) => text.startsWith('{'));
          if (line) resolve(JSON.parse(line) as Held);
        });
        child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
      });
      for (const port of [held.postgresPort, held.bouncerPort]) expect(await portOpen(port)).toBe(true);
      expect(existsSync(held.dataDir)).toBe(true);

      child.kill('SIGKILL');
      const deadline = Date.now() + 20_000;
      const cleaned = async (): Promise<boolean> =>
        !(await portOpen(held.postgresPort)) &&
        !(await portOpen(held.bouncerPort)) &&
        !existsSync(held.dataDir) &&
        !existsSync(held.s3Directory);
      while (!(await cleaned()) && Date.now() < deadline) await sleep(100);
      expect(await portOpen(held.postgresPort)).toBe(false);
      expect(await portOpen(held.bouncerPort)).toBe(false);
      expect(existsSync(held.dataDir)).toBe(false);
      expect(existsSync(held.s3Directory)).toBe(false);
    });
  },
);
