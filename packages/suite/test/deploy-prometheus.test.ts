import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { requireComponent } from '@voicehive/db-testing';
import { describe, expect, it } from 'vitest';

const PROMTOOL = '/usr/bin/promtool';
const dir = resolve(import.meta.dirname, '../../../deploy/prometheus');
const hasPromtool = requireComponent('prometheus', existsSync(PROMTOOL), 'apt-get install prometheus (for promtool)');

describe.skipIf(!hasPromtool)('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const out = execFileSync(PROMTOOL, ['check', 'rules', 'alerts.yml'], { cwd: dir, encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', () => {
    const out = execFileSync(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  it('define the alerts the issue asks for', () => {
    const out = execFileSync(PROMTOOL, ['check', 'rules', '--lint=all', 'alerts.yml'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
    const text = readFileSync(resolve(dir, 'alerts.yml'), 'utf8');
    for (const name of [
      'SlowQueryThreshold',
      'HighCapacityUsage',
      'BackupFailure',
      'BackupMissing',
      'BackupVerificationFailed',
      'RestoreTestOverTarget',
      'ConnectionPoolExhausted',
      'CapacityForecastDaysLow',
      'WalArchiveGap',
      'PitrWindowEmpty',
    ]) {
      expect(text).toContain(`alert: ${name}\n`);
    }
  });
});
