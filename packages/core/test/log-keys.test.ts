import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditLog, createLogger } from '../src/index.js';
import { parseStrictJson } from './strict-json.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination, parsed: () => lines.map((l) => parseStrictJson(l) as Record<string, unknown>) };
}

describe('log lines a machine can parse: each key once', () => {
  it('the strict parser rejects a repeated key (the shape pino produced for nested children)', () => {
    expect(() => parseStrictJson('{"component":"dbrs","component":"suite"}')).toThrow(/duplicate key "component"/);
    expect(parseStrictJson('{"a":[1,{"b":"x\\"y"}],"c":null}')).toEqual({ a: [1, { b: 'x"y' }], c: null });
  });

  it('children join their component with dots, other bindings merge, and the call’s own fields win', () => {
    const out = capture();
    const root = createLogger({ component: 'dbrs', destination: out.destination, base: { service: 'hotels' } });
    const lock = root
      .child({ component: 'suite' })
      .child({ component: 'migrations', run: 1 })
      .child({ component: 'leader-lock', run: 2 });
    lock.info({ event: 'acquired' }, 'lock acquired');
    lock.warn({ event: 'override', run: 3 }, 'own field wins');
    root.info({ event: 'root' }, 'root line');
    const [a, b, c] = out.parsed();
    expect(a).toMatchObject({
      component: 'dbrs.suite.migrations.leader-lock',
      run: 2,
      service: 'hotels',
      event: 'acquired',
    });
    expect(b).toMatchObject({ run: 3 });
    expect(c).toMatchObject({ component: 'dbrs', event: 'root' });
    expect(lock.bindings()).toEqual({ component: 'dbrs.suite.migrations.leader-lock', service: 'hotels', run: 2 });
  });

  it('audit lines carry one time key (the line’s timestamp), and secrets in bindings are still redacted', async () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination }).child({ url: 'postgres://app:pw-secret-9@db/x' });
    const audit = new AuditLog({ logger });
    const rec = await audit.record({ actor: 'cli', action: 'backup.create', target: 'hotels', outcome: 'success' });
    expect(rec.time).toMatch(/^\d{4}-/);
    const lines = out.parsed();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line['component']).toBe('dbrs.audit');
    expect(Object.keys(line).filter((k) => /^(time|timestamp)$/.test(k))).toEqual(['timestamp']);
    expect(out.lines.join('\n')).not.toContain('pw-secret-9');
  });
});
