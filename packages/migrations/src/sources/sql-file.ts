import { DbrsError } from '@voicehive/db-core';

/**
 * SQL migration file format:
 *
 *   -- dbrs:no-transaction      (optional, must be the first line)
 *   -- dbrs:irreversible        (optional, anywhere before `-- migrate:up`)
 *   -- migrate:up
 *   CREATE TABLE ...;
 *   -- migrate:down
 *   DROP TABLE ...;
 *
 * The markers are dbmate's; a file without `-- migrate:up` is all "up".
 */
export const UP_MARKER = /^--\s*migrate:up\s*$/im;
export const DOWN_MARKER = /^--\s*migrate:down\s*$/im;
export const NO_TRANSACTION = /^--\s*dbrs:no-transaction\s*$/i;
export const IRREVERSIBLE = /^--\s*dbrs:irreversible\s*$/im;

export interface ParsedSqlMigration {
  transactional: boolean;
  irreversible: boolean;
  upSql: string;
  downSql?: string;
  upLine: number;
  downLine?: number;
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Sections keep their position: the text before a section is replaced by
 * blank lines, so parser line numbers equal file line numbers.
 */
function section(text: string, from: number, to: number): string {
  return text.slice(0, from).replace(/[^\n]/g, '') + text.slice(from, to);
}

export function parseSqlMigration(text: string, file: string): ParsedSqlMigration {
  const firstLine = text.split('\n', 1)[0] ?? '';
  const transactional = !NO_TRANSACTION.test(firstLine.trim());
  if (transactional && /^--\s*dbrs:no-transaction\s*$/im.test(text)) {
    throw new DbrsError('INVALID_ARGUMENT', `${file}: "-- dbrs:no-transaction" must be the first line of the file.`, {
      hint: 'Move the marker to line 1.',
    });
  }
  const up = UP_MARKER.exec(text);
  const down = DOWN_MARKER.exec(text);
  const irreversible = IRREVERSIBLE.test(up ? text.slice(0, up.index) : text);
  if (down && (!up || down.index < up.index)) {
    throw new DbrsError('INVALID_ARGUMENT', `${file}: "-- migrate:down" comes before "-- migrate:up".`, {
      hint: 'Put the up section first, then the down section.',
    });
  }
  const upStart = up ? up.index + up[0].length : 0;
  const upEnd = down ? down.index : text.length;
  const upSql = section(text, upStart, upEnd);
  const downSql = down ? section(text, down.index + down[0].length, text.length) : undefined;
  return {
    transactional,
    irreversible,
    upSql,
    upLine: lineOf(text, upStart),
    ...(downSql !== undefined && downSql.trim() !== '' ? { downSql, downLine: lineOf(text, down!.index) } : {}),
  };
}
