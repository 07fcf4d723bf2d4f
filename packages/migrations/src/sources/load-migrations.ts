import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DbrsError, errorMessage } from '@voicehive/db-core';
import { parseSqlMigration } from './sql-file.js';
import type { MigrationFn, MigrationSource } from './types.js';

const EXTENSIONS = new Set(['.sql', '.ts', '.mts', '.js', '.mjs']);

function isMigrationFile(f: string): boolean {
  return EXTENSIONS.has(extname(f)) && !f.endsWith('.d.ts') && !f.startsWith('.') && !f.startsWith('_');
}

/**
 * Reads every migration in `dir` (not recursive), sorted by name. A migration
 * without a down fails here, before anything runs, unless it declares itself
 * irreversible: umzug would silently treat a missing down as a no-op.
 */
export async function loadMigrations(dir: string): Promise<MigrationSource[]> {
  const root = resolve(dir);
  let entries: string[];
  try {
    entries = (await readdir(root)).filter(isMigrationFile).sort();
  } catch (cause) {
    throw new DbrsError('NOT_FOUND', `The migrations directory ${root} cannot be read.`, {
      cause,
      hint: 'Set migrationsDir to an existing directory of .sql/.ts/.js migrations.',
    });
  }
  const seen = new Map<string, string>();
  const out: MigrationSource[] = [];
  for (const file of entries) {
    const name = basename(file, extname(file));
    if (seen.has(name)) {
      throw new DbrsError('INVALID_ARGUMENT', `Two migrations are named "${name}": ${seen.get(name)} and ${file}.`, {
        hint: 'Rename one of them; names must be unique regardless of extension.',
      });
    }
    seen.set(name, file);
    const path = resolve(root, file);
    const bytes = await readFile(path);
    const checksum = createHash('sha256').update(bytes).digest('hex');
    out.push(
      extname(file) === '.sql'
        ? sqlSource(name, path, bytes.toString('utf8'), checksum)
        : await moduleSource(name, path, checksum),
    );
  }
  return out;
}

function missingDown(name: string, path: string, how: string): DbrsError {
  return new DbrsError('MIGRATION_IRREVERSIBLE', `Migration ${name} (${path}) has no down migration.`, {
    hint: `Add one, or declare it irreversible (${how}).`,
    details: { migration: name },
  });
}

function sqlSource(name: string, path: string, text: string, checksum: string): MigrationSource {
  const p = parseSqlMigration(text, path);
  if (p.downSql === undefined && !p.irreversible)
    throw missingDown(name, path, 'a "-- dbrs:irreversible" line before "-- migrate:up"');
  return {
    name,
    path,
    kind: 'sql',
    transactional: p.transactional,
    irreversible: p.irreversible,
    checksum,
    upSql: p.upSql,
    upLine: p.upLine,
    ...(p.downSql !== undefined ? { downSql: p.downSql, downLine: p.downLine } : {}),
  };
}

async function moduleSource(name: string, path: string, checksum: string): Promise<MigrationSource> {
  let mod: Record<string, unknown>;
  try {
    // The checksum in the query defeats the ESM cache when a file changes within one process.
    mod = await import(`${pathToFileURL(path).href}?v=${checksum.slice(0, 16)}`);
  } catch (cause) {
    throw new DbrsError('MIGRATION_SYNTAX', `Migration ${name} (${path}) could not be loaded: ${errorMessage(cause)}`, {
      cause,
      hint: 'Fix the module; .ts files must be erasable TypeScript (Node strips types, it does not compile enums or namespaces).',
      details: { migration: name, file: path },
    });
  }
  if (typeof mod['up'] !== 'function') {
    throw new DbrsError('INVALID_ARGUMENT', `Migration ${path} does not export an up function.`, {
      hint: 'export async function up({ db, sql }) { ... }',
    });
  }
  const irreversible = mod['irreversible'] === true;
  if (typeof mod['down'] !== 'function' && !irreversible)
    throw missingDown(name, path, 'export const irreversible = true');
  return {
    name,
    path,
    kind: 'module',
    transactional: mod['transaction'] !== false,
    irreversible,
    checksum,
    load: async () => ({
      up: mod['up'] as MigrationFn,
      ...(typeof mod['down'] === 'function' ? { down: mod['down'] as MigrationFn } : {}),
    }),
  };
}
