import type { Queryable } from './database.js';

export interface ServerVersion {
  /** server_version_num, e.g. 150018. */
  num: number;
  /** Major version, e.g. 15. */
  major: number;
  /** server_version text, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  text: string;
}

export async function getServerVersion(db: Queryable): Promise<ServerVersion> {
  const res = await db.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  const num = Number(res.rows[0]!.num);
  return { num, major: Math.floor(num / 10_000), text: res.rows[0]!.text };
}
