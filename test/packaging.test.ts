import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// package.json is a tested artifact: every published entry point must exist in
// the build and load both through import and require() (Node >= 22 require(esm)).
// These tests read dist/, so they run after `pnpm build` (as CI does).
const root = resolve(import.meta.dirname, '..');
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private);

// Resolve from the suite package, which depends on every published package.
const from = join(root, 'packages/suite');

describe.each(packages)('$pkg.name', ({ dir, pkg }) => {
  it('declares engines, sideEffects, files, types and an exports map whose targets are built', () => {
    expect(pkg.engines.node).toBe('>=22.12');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.files).toContain('dist');
    const entry = pkg.exports['.'];
    for (const target of [entry.types, entry.default, pkg.types]) {
      expect(existsSync(join(dir, target)), `${pkg.name}: ${target} missing; run pnpm build`).toBe(true);
    }
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
  });

  it('loads through import() and require() from the build', () => {
    const script = `
      const viaRequire = require(${JSON.stringify(pkg.name)});
      import(${JSON.stringify(pkg.name)}).then((viaImport) => {
        const a = Object.keys(viaRequire).sort(), b = Object.keys(viaImport).sort();
        if (a.length === 0 || JSON.stringify(a) !== JSON.stringify(b)) { console.error(a, b); process.exit(1); }
        console.log(a.length);
      });`;
    const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', script], {
      cwd: from,
      encoding: 'utf8',
    });
    expect(Number(out.trim())).toBeGreaterThan(0);
  });
});
