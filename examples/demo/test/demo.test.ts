import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEMO = resolve(import.meta.dirname, '..');

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // Exactly what `pnpm demo` runs (the package's start script), minus pnpm.
    const child = spawn(
      process.execPath,
      [
        '--conditions=@voicehive/source',
        '--experimental-transform-types',
        '--disable-warning=ExperimentalWarning',
        '--import',
        '../../scripts/register-source-hooks.mjs',
        'src/main.ts',
        ...args,
      ],
      { cwd: DEMO, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const SECTIONS = [
  'Comprehensive status',
  'Slowest queries',
  'Index recommendations, with the measured improvement',
  'Encrypted backup to local storage, verified by a restore test',
  'Capacity forecast',
  'Done',
];

describe('the demo (pnpm demo)', () => {
  it('runs to completion on an embedded PostgreSQL', { timeout: 180_000 }, async () => {
    const r = await runDemo(['--scale', '3']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const s of SECTIONS) expect(r.stdout).toContain(`== ${s}`);
    expect(r.stdout).toMatch(/Status page: http:\/\/127\.0\.0\.1:\d+\//);
    expect(r.stdout).toMatch(/restore test passed/);
    expect(r.stdout).toMatch(/encrypted\)/);
    expect(r.stdout).toMatch(/measured read workload: \d+ ms before, \d+ ms after/);
    expect(r.stdout).toMatch(/database_size\s+ok/);
    expect(r.stdout).not.toContain('step(s) failed');
    // Without --keep the server is stopped at the end: no URL printed after it.
    const done = r.stdout.slice(r.stdout.indexOf('== Done'));
    expect(done).not.toMatch(/https?:\/\//);
    expect(done).toContain('pnpm demo -- --keep');
  });

  describe('against an existing database (--url)', () => {
    const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 1, seed: 5 } });
    it('runs to completion without creating demo tables in it', { timeout: 180_000 }, async () => {
      const r = await runDemo(['--url', db.url]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      for (const s of SECTIONS) expect(r.stdout).toContain(`== ${s}`);
      expect(r.stdout).not.toContain('Starting an embedded PostgreSQL');
      expect(r.stdout).not.toContain('simulated days');
    });
  });
});
