// Transcribes the peers' published test cases into our corpus format (facts only: the SQL,
// the settings and the peer's verdict). Run once per peer snapshot:
//   scripts/run-source.sh bench/migrations/peer-corpus/extract.ts /work/.mirror/sbdchd+squawk/repo /work/.mirror/kaaveland+eugene/repo
// Writes packages/migrations/test/peer-corpus/{squawk,eugene}.json. strong_migrations is Ruby
// (migration classes run through ActiveRecord), so its cases are translated by hand
// in strong-migrations.json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { PeerCase } from '../../../packages/migrations/test/peer-corpus/types.ts';

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const outDir = new URL('../../../packages/migrations/test/peer-corpus/', import.meta.url);

function squawk(dir: string): PeerCase[] {
  const commit = git(dir, 'rev-parse', 'HEAD').trim();
  const files = git(dir, 'ls-tree', '-r', 'HEAD', '--name-only')
    .split('\n')
    .filter((f) => /crates\/squawk_linter\/src\/rules\/[a-z_]+\.rs$/.test(f));
  const cases: PeerCase[] = [];
  for (const file of files) {
    const text = git(dir, 'show', `HEAD:${file}`);
    const testModule = text.slice(text.indexOf('mod test'));
    // Files whose tests call a local helper name the rule once, in the helper.
    const fileRules = [...new Set([...testModule.matchAll(/Rule::([A-Za-z]+)/g)].map((m) => m[1]!))];
    const tests = testModule.split(/#\[test\]/).slice(1);
    for (const body of tests) {
      const name = /fn\s+([a-z0-9_]+)\s*\(/.exec(body)?.[1];
      if (!name) continue;
      const sqls = [
        // r#"..."# (may hold quotes) and plain "..." literals.
        ...[...body.matchAll(/let\s+sql\s*=\s*r(#+)"([\s\S]*?)"\1\s*;/g)].map((m) => m[2]!),
        ...[...body.matchAll(/let\s+sql\s*=\s*"((?:[^"\\]|\\.)*)"\s*;/g)].map((m) => m[1]!.replace(/\\"/g, '"')),
      ];
      const calls = [...body.matchAll(/\b(lint_ok_with|lint_errors_with|lint_ok|lint_errors)\s*\(/g)].map((m) => m[1]!);
      const own = [...body.matchAll(/Rule::([A-Za-z]+)/g)].map((m) => m[1]!);
      const rules = own.length ? own : fileRules.length === 1 ? fileRules : [];
      // One SQL, one verdict, one rule: the shape of almost every per-rule test. Others (fix tests, loops) are skipped.
      if (sqls.length !== 1 || calls.length !== 1 || new Set(rules).size !== 1) continue;
      const pg = /pg_version:\s*"(\d+)"/.exec(body)?.[1];
      // squawk's own file directive turns the assumption off again.
      const assume =
        /assume_in_transaction:\s*true/.test(body) && !/squawk-disable-assume-in-transaction/.test(sqls[0]!);
      cases.push({
        id: `squawk/${file.split('/').pop()!.replace(/\.rs$/, '')}/${name}`,
        peer: 'squawk',
        source: `sbdchd/squawk@${commit.slice(0, 8)}:${file}#${name}`,
        sql: sqls[0]!.trim(),
        settings: { serverVersion: pg ? Number(pg) : 15, transactional: assume },
        peerRule: kebab(rules[0]!),
        peerVerdict: calls[0]!.startsWith('lint_ok') ? 'safe' : 'unsafe',
      });
    }
  }
  return cases;
}

function eugene(dir: string): PeerCase[] {
  const commit = git(dir, 'rev-parse', 'HEAD').trim();
  const src = `kaaveland/eugene@${commit.slice(0, 8)}`;
  const cases: PeerCase[] = [];
  // Unit tests: anon_lint("<sql>") then assert!(matched_lint_rule(...)) or assert!(!matched_lint_rule(...)).
  const lints = git(dir, 'show', 'HEAD:eugene/src/lints.rs');
  const consts: Record<string, string> = {};
  for (const m of git(dir, 'show', 'HEAD:eugene/src/lints/rules.rs').matchAll(
    /pub const ([A-Z_0-9]+): LintRule = LintRule::new\(\s*&hint_data::([A-Z_0-9]+)/g,
  ))
    consts[m[1]!] = m[2]!;
  const hintIds: Record<string, string> = {};
  for (const m of git(dir, 'show', 'HEAD:eugene/src/hint_data.rs').matchAll(
    /pub const ([A-Z_0-9]+): StaticHintData = StaticHintData \{\s*id: "([A-Z0-9]+)"/g,
  ))
    hintIds[m[1]!] = m[2]!;
  for (const body of lints.split(/#\[test\]/).slice(1)) {
    const name = /fn\s+([a-z0-9_]+)\s*\(/.exec(body)?.[1];
    const sqlMatch = /anon_lint\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)/.exec(body);
    const asserts = [
      ...body.matchAll(
        /assert!\((!?)matched_lint_rule\(\s*&report,\s*(?:rules::([A-Z_0-9]+)\.id\(\)|([A-Z_0-9]+)\.id)\s*\)\)/g,
      ),
    ];
    if (!name || !sqlMatch || asserts.length !== 1) continue;
    const sql = [...sqlMatch[1]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)]
      .map((m) =>
        m[1]!
          .replace(/\\\n\s*/g, '')
          .replace(/\\"/g, '"')
          .replace(/\\n/g, '\n'),
      )
      .join('');
    const a = asserts[0]!;
    const hint = a[2] ? hintIds[consts[a[2]] ?? ''] : hintIds[a[3]!];
    if (!hint) continue;
    cases.push({
      id: `eugene/lints/${name}`,
      peer: 'eugene',
      source: `${src}:eugene/src/lints.rs#${name}`,
      sql: sql.trim(),
      settings: { serverVersion: 15, transactional: true },
      peerRule: hint,
      peerVerdict: a[1] === '!' ? 'safe' : 'unsafe',
    });
  }
  // Documented examples: the lint reports rendered for examples/<hint>/{bad,good} list every statement and the rules it triggered.
  const docs = git(dir, 'ls-tree', '-r', 'HEAD', '--name-only')
    .split('\n')
    .filter((f) => /docs\/src\/hints\/[A-Z0-9]+\/(unsafe|safer)_lint\.md$/.test(f));
  for (const file of docs) {
    const hint = file.split('/').at(-2)!;
    const text = git(dir, 'show', `HEAD:${file}`);
    for (const script of text.split(/^## .*Eugene lint report/m).slice(1)) {
      const scriptName = /Script name: `([^`]+)`/.exec(script)?.[1] ?? '?';
      const statements = script.split(/^### .*Statement number \d+/m).slice(1);
      const sql: string[] = [];
      const triggered = new Set<string>();
      for (const st of statements) {
        const code = /```sql\n([\s\S]*?)```/.exec(st)?.[1];
        if (code) sql.push(code.trim());
        for (const m of st.matchAll(/^##### `([A-Z0-9]+)`/gm)) triggered.add(m[1]!);
      }
      if (sql.length === 0) continue;
      for (const rule of new Set([hint, ...triggered])) {
        cases.push({
          id: `eugene/docs/${hint}/${scriptName.replace(/^examples\//, '')}/${rule}`,
          peer: 'eugene',
          source: `${src}:${file} (${scriptName})`,
          sql: `${sql.join(';\n')};`,
          settings: { serverVersion: 15, transactional: true },
          peerRule: rule,
          peerVerdict: triggered.has(rule) ? 'unsafe' : 'safe',
        });
      }
    }
  }
  return cases;
}

const [squawkDir, eugeneDir] = process.argv.slice(2);
if (squawkDir) {
  const c = squawk(squawkDir);
  writeFileSync(new URL('squawk.json', outDir), `${JSON.stringify(c, null, 2)}\n`);
  console.log(`squawk: ${c.length} cases`);
}
if (eugeneDir) {
  const c = eugene(eugeneDir);
  writeFileSync(new URL('eugene.json', outDir), `${JSON.stringify(c, null, 2)}\n`);
  console.log(`eugene: ${c.length} cases`);
}
