import type { ServerResponse } from 'node:http';
import { withTimeout } from '@voicehive/db-core';
import type { LiveSession } from '../insights/activity.js';
import type { QueryDetail } from '../insights/query-history.js';
import { escapeHtml } from '../page/escape.js';
import { renderQueryPage } from '../page/query-page.js';
import { renderSessionPage } from '../page/session-page.js';
import { decodePathSegment, errorMessage, errorStatus, html } from './respond.js';

/** What the statement pages read: a statement by query id, a live session by pid. */
export interface StatementPageSources {
  getQueryDetail?(queryHash: string, options?: { signal?: AbortSignal }): Promise<QueryDetail | undefined>;
  getLiveSession?(pid: number, options?: { signal?: AbortSignal }): Promise<LiveSession | undefined>;
}

function notFound(res: ServerResponse, mount: string, what: string, back: string): void {
  html(
    res,
    404,
    `<!doctype html><title>Not found</title><p>${escapeHtml(what)} <a href="${escapeHtml(mount)}/#${back}">Back</a></p>`,
  );
}

function failed(res: ServerResponse, err: unknown): void {
  html(res, errorStatus(err), `<!doctype html><title>Error</title><p>${escapeHtml(errorMessage(err))}</p>`);
}

/** `GET /queries/<queryid>`: the whole normalised statement and its stored history. */
export async function queryPageRoute(
  target: StatementPageSources,
  res: ServerResponse,
  o: { mount: string; segment: string; timeoutMs: number },
): Promise<void> {
  const id = decodePathSegment(o.segment) ?? '';
  try {
    const detail = await withTimeout({ what: 'The query page', timeoutMs: o.timeoutMs }, (signal) =>
      target.getQueryDetail!(id, { signal }),
    );
    if (!detail)
      return notFound(
        res,
        o.mount,
        `No statement with query id ${id} in pg_stat_statements or the stored history.`,
        'queries',
      );
    return html(res, 200, renderQueryPage(detail, { basePath: o.mount }));
  } catch (err) {
    return failed(res, err);
  }
}

/** `GET /sessions/<pid>`: one live session's whole statement, read now. */
export async function sessionPageRoute(
  target: StatementPageSources,
  res: ServerResponse,
  o: { mount: string; segment: string; timeoutMs: number },
): Promise<void> {
  const text = decodePathSegment(o.segment) ?? '';
  const pid = /^[1-9]\d{0,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(pid))
    return html(res, 400, `<!doctype html><title>Bad request</title><p>A session is named by its pid (a number).</p>`);
  try {
    const session = await withTimeout({ what: 'The session page', timeoutMs: o.timeoutMs }, (signal) =>
      target.getLiveSession!(pid, { signal }),
    );
    if (!session)
      return notFound(
        res,
        o.mount,
        `Session ${pid} is not running a statement in this database now (it ended or went idle).`,
        'live-queries',
      );
    return html(res, 200, renderSessionPage(session, { basePath: o.mount }));
  } catch (err) {
    return failed(res, err);
  }
}
