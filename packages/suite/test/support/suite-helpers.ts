import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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

/**
 * Backup storage that is down: S3 settings (as environment variables) whose
 * endpoint is a loopback listener that drops every connection. `requests()`
 * tells whether anything tried to use the storage at all.
 */
export async function droppingS3(): Promise<{
  env: Record<string, string>;
  secret: string;
  requests(): number;
  close(): Promise<void>;
}> {
  let count = 0;
  const server = createServer((socket) => {
    // Counted only when it is a request for this bucket: on a shared machine another process may dial a
    // loopback port it held a moment ago.
    socket.once('data', (head) => {
      if (/^[A-Z]+ \/backups[/?\s]/.test(head.toString('latin1'))) count++;
      socket.destroy();
    });
    socket.on('error', () => {});
    // A stranger that sends nothing must not keep close() waiting.
    socket.setTimeout(1_000, () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const secret = 'dropping-s3-secret-key-0123456789';
  return {
    env: {
      BACKUP_STORAGE_TYPE: 's3',
      BACKUP_S3_BUCKET: 'backups',
      BACKUP_S3_REGION: 'us-east-1',
      BACKUP_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      BACKUP_S3_FORCE_PATH_STYLE: 'true',
      BACKUP_S3_ACCESS_KEY_ID: 'dropping-s3-key-id',
      BACKUP_S3_SECRET_ACCESS_KEY: secret,
    },
    secret,
    requests: () => count,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
