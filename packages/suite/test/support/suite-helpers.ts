import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@voicehive/db-core';

export function scratchDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function sql<R extends Record<string, unknown> = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  await using db = createDatabase(url, { poolMax: 1 });
  return (await db.query<R>(text, values)).rows;
}

/** Audit rows per `action:outcome`, read straight from the table. */
export async function auditCounts(url: string, prefix = 'maintenance.'): Promise<Record<string, number>> {
  const rows = await sql<{ action: string; outcome: string; n: string }>(
    url,
    `SELECT action, outcome, count(*) AS n FROM dbrs.dbrs_audit_log WHERE action LIKE $1 GROUP BY action, outcome`,
    [`${prefix}%`],
  );
  return Object.fromEntries(rows.map((r) => [`${r.action}:${r.outcome}`, Number(r.n)]));
}
