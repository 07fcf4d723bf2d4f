import { describe, expect, it } from 'vitest';
import { HealthRegistry } from '../src/index.js';

describe('HealthRegistry', () => {
  it('is healthy when every check passes', async () => {
    const health = new HealthRegistry().register({ name: 'a', check: async () => {} });
    const report = await health.run();
    expect(report.status).toBe('healthy');
    expect(report.checks).toHaveLength(1);
  });

  it('a failing non-critical check degrades, a failing critical check makes it unhealthy', async () => {
    const health = new HealthRegistry()
      .register({ name: 'database', critical: true, check: async () => ({ details: { latencyMs: 1 } }) })
      .register({
        name: 'pgbouncer',
        critical: false,
        check: async () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6432')),
      });
    const degraded = await health.run();
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks.find((c) => c.name === 'pgbouncer')).toMatchObject({ status: 'unhealthy', critical: false });

    health.register({
      name: 'backup',
      critical: true,
      check: async () => ({ status: 'unhealthy', message: 'last backup failed' }),
    });
    expect((await health.run()).status).toBe('unhealthy');
  });

  it('bounds a hung check by its timeout and aborts it', async () => {
    let aborted = false;
    const health = new HealthRegistry().register({
      name: 'slow',
      critical: false,
      timeoutMs: 50,
      check: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    });
    const report = await health.run();
    expect(report.status).toBe('degraded');
    expect(report.checks[0]!.message).toMatch(/longer than 50 ms/);
    expect(aborted).toBe(true);
  });

  it('scrubs secrets from check messages', async () => {
    const health = new HealthRegistry().register({
      name: 'db',
      check: async () => Promise.reject(new Error('failed for postgres://u:topsecret@h/db')),
    });
    const report = await health.run();
    expect(JSON.stringify(report)).not.toContain('topsecret');
  });
});
