import { type Logger, withTimeout } from '@voicehive/db-core';
import { escapeHtml } from '../page/escape.js';
import { type PageAction, renderStatusPage } from '../page/render.js';
import type { ApiKeyAuth } from './auth.js';
import { errorMessage, html } from './respond.js';
import type { HandlerScope } from './routes.js';
import type { SuiteHandlerTarget } from './target.js';

/**
 * Answers with the status page for `role`: the page data within `timeoutMs`,
 * the operator's actions and explain box only for an operator while keys are
 * on; a failure is a 500 page naming it (and a log line), never a hang.
 */
export function pageRenderer(parts: {
  target: SuiteHandlerTarget;
  auth: ApiKeyAuth;
  logger: Logger;
  timeoutMs: number;
}): HandlerScope['renderPage'] {
  const { target, auth, logger, timeoutMs } = parts;
  return async (req, res, { mount, role, canLogout, notice }) => {
    try {
      const data = await withTimeout({ what: 'Status page', timeoutMs }, async (signal) =>
        target.getStatusPageData
          ? target.getStatusPageData({ signal })
          : {
              status: await target.getComprehensiveStatus({ signal }),
              slowQueries: [],
              indexRecommendations: [],
              backups: [],
            },
      );
      const operator = role === 'operator' && auth.enabled;
      const actions: PageAction[] = operator
        ? Object.entries(target.actions ?? {}).map(([id, a]) => ({
            id,
            label: a.label,
            placement: a.placement ?? 'overview',
          }))
        : [];
      const body = renderStatusPage(data, {
        basePath: mount,
        role: auth.enabled ? role : undefined,
        actions,
        csrfToken: auth.csrfToken(req),
        canLogout,
        notice,
        queryPages: target.getQueryDetail !== undefined,
        sessionPages: target.getLiveSession !== undefined,
        ...(target.explain
          ? { explain: operator ? { analyzeAllowed: target.explainAnalyzeAllowed === true } : 'viewer' }
          : {}),
      });
      return html(res, 200, body);
    } catch (err) {
      logger.warn({ event: 'page_failed', err }, 'status page failed');
      return html(res, 500, `<!doctype html><title>Error</title><p>${escapeHtml(errorMessage(err))}</p>`);
    }
  };
}
