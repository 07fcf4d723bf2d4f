import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exec } from './helpers.js';

const WITHHELD = '<unparseable statement text withheld>';

/** A fresh copy of the package: its parser module state starts unloaded, as in a new process. */
async function freshPackage(): Promise<typeof import('../src/index.js')> {
  vi.resetModules();
  return import('../src/index.js');
}

/*
 * The WASM SQL parser is loaded on first use, not by initialize(): `dbrs status` answers from the stored
 * analysis and parses nothing (#15 §5). Whatever does show statement text must load it itself; if one of them
 * did not, its text would read as withheld (normalizeSql never returns raw text without the parser).
 */
describe('SQL parser loaded where statement text is shown', () => {
  const db = useTestDatabase({ beforeAll, afterAll });

  it('initialize() does not load it; takeSnapshot() does, and its deltas are normalised', async () => {
    const { DatabasePerformanceOptimizer, normalizeSql } = await freshPackage();
    await using optimizer = new DatabasePerformanceOptimizer(db.url, {});
    const caps = await optimizer.initialize();
    expect(caps.pgStatStatements.installed && caps.pgStatStatements.preloaded).toBe(true);
    expect(normalizeSql("SELECT 'x'")).toBe(WITHHELD);
    await optimizer.takeSnapshot();
    await exec(db.url, 'CREATE TABLE rooms_od (id int PRIMARY KEY, floor int)');
    for (let i = 0; i < 3; i++) await exec(db.url, 'SELECT id FROM rooms_od WHERE floor = $1', [i]);
    const second = await optimizer.takeSnapshot();
    const mine = second.deltas.find((d) => d.query.includes('rooms_od') && d.query.startsWith('SELECT'));
    expect(mine?.query).toBe('SELECT id FROM rooms_od WHERE floor = $1');
    expect(normalizeSql("SELECT 'x'")).toBe('SELECT $1');
  });

  it('getPerformanceReport() loads it: statement texts are shown, not withheld', async () => {
    const { DatabasePerformanceOptimizer, normalizeSql } = await freshPackage();
    expect(normalizeSql("SELECT 'x'")).toBe(WITHHELD);
    // Its own statements, so it does not depend on the test above having run.
    await exec(db.url, 'CREATE TABLE rooms_rep (id int PRIMARY KEY, floor int)');
    for (let i = 0; i < 3; i++) await exec(db.url, 'SELECT id FROM rooms_rep WHERE floor = $1', [i]);
    await using optimizer = new DatabasePerformanceOptimizer(db.url, {});
    const report = await optimizer.getPerformanceReport({ advise: false, store: 'none' });
    const texts = report.topQueries.map((q) => q.query);
    expect(texts.some((t) => t.includes('rooms_rep'))).toBe(true);
    expect(texts.filter((t) => t === WITHHELD)).toEqual([]);
  });

  it('loadSqlParser() makes the exported normalizeSql usable without an optimizer', async () => {
    const { loadSqlParser, normalizeSql } = await freshPackage();
    expect(normalizeSql("SELECT * FROM guests WHERE email = 'jane@example.com'")).toBe(WITHHELD);
    await loadSqlParser();
    expect(normalizeSql("SELECT * FROM guests WHERE email = 'jane@example.com'")).toBe(
      'SELECT * FROM guests WHERE email = $1',
    );
  });
});
