import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, withTimeout } from '@voicehive/db-core';
import { renderConfirmPage } from '../page/confirm.js';
import { renderExplainPage } from '../page/explain.js';
import { actionParams } from './actions.js';
import type { ApiKeyAuth, Role } from './auth.js';
import { readForm } from './body.js';
import { decodePathSegment, errorMessage, errorStatus, html, json, ownAction } from './respond.js';
import type { SuiteHandlerTarget } from './target.js';

/** One operator's request, already authenticated as operator by the handler. */
export interface OperatorRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Prefix of every link and form target. */
  mount: string;
  target: SuiteHandlerTarget;
  auth: ApiKeyAuth;
  operator: 'operator';
  /** Set when the key came in a header (an API client): JSON answers, no CSRF token needed. */
  headerRole: Role | undefined;
  client: string;
  timeoutMs: number;
  logger: Logger;
  /** The status page with a one-line notice on top (the browser's answer to an action). */
  renderPage(notice: string): Promise<void>;
}

/** `POST /explain`: the explain box's plan, as a page or JSON. */
export async function explainRoute(o: OperatorRequest): Promise<void> {
  const { req, res, mount, target, auth, operator, headerRole, client } = o;
  const form = await readForm(req, 64 * 1024).catch(() => undefined);
  if (!headerRole && !auth.checkCsrf(req, form?.get('csrf') ?? undefined))
    return json(res, 403, { error: 'Missing or invalid CSRF token; reload the page and try again.' });
  const sql = form?.get('sql') ?? '';
  const analyze = form?.get('analyze') === 'yes';
  const box = {
    basePath: mount,
    csrfToken: auth.csrfToken(req),
    analyzeAllowed: target.explainAnalyzeAllowed === true,
    sql,
    analyze,
  };
  try {
    // Called on the target: the suite's explain is a method that needs its `this`.
    const result = await target.explain!({ sql, analyze, actor: `http:${operator}`, client });
    if (headerRole) return json(res, 200, result);
    return html(res, 200, renderExplainPage({ ...box, result }));
  } catch (err) {
    if (headerRole) return json(res, errorStatus(err), { error: errorMessage(err) });
    return html(res, errorStatus(err), renderExplainPage({ ...box, error: errorMessage(err) }));
  }
}

/** `POST /actions/<id>`: the confirmation step, then the action, audited by the action itself. */
export async function actionRoute(o: OperatorRequest, path: string): Promise<void> {
  const { req, res, target, auth, operator, headerRole, client, timeoutMs, logger, mount } = o;
  const id = decodePathSegment(path.slice('/actions/'.length));
  if (id === undefined) return json(res, 400, { error: 'The action id in the path is not valid percent-encoding.' });
  const action = ownAction(target.actions, id);
  if (!action) return json(res, 404, { error: `No action "${id}".` });
  // Read for both kinds of caller: parameterised actions take their fields from the form.
  const form = await readForm(req).catch(() => undefined);
  // A cookie is sent by the browser on its own, so cookie-authenticated posts must carry the CSRF token.
  if (!headerRole && !auth.checkCsrf(req, form?.get('csrf') ?? undefined))
    return json(res, 403, { error: 'Missing or invalid CSRF token; reload the page and try again.' });
  const params = actionParams(action, form);
  const named = `${action.label}${Object.entries(params)
    .map(([k, v]) => ` (${k} ${v})`)
    .join('')}`;
  if (action.confirm && form?.get('confirm') !== 'yes') {
    let question: string;
    try {
      question = await withTimeout({ what: 'Preparing the confirmation', timeoutMs }, (signal) =>
        action.confirm!({ params, signal }),
      );
    } catch (err) {
      if (headerRole) return json(res, errorStatus(err), { error: errorMessage(err) });
      return o.renderPage(`${named} refused: ${errorMessage(err)}`);
    }
    if (headerRole)
      return json(res, 428, {
        error: 'This action needs confirmation: post it again with confirm=yes.',
        confirm: question,
      });
    return html(
      res,
      200,
      renderConfirmPage({
        basePath: mount,
        actionId: id,
        label: action.label,
        question,
        params,
        csrfToken: auth.csrfToken(req),
      }),
    );
  }
  let notice: string;
  let result: unknown;
  try {
    result = await action.run({ actor: `http:${operator}`, params, client });
    notice = `${named}: done.`;
  } catch (err) {
    notice = `${named} failed: ${errorMessage(err)}`;
    logger.warn({ event: 'action_failed', action: id, err: errorMessage(err) }, 'page action failed');
    if (headerRole) return json(res, errorStatus(err), { error: errorMessage(err) });
  }
  if (headerRole) return json(res, 200, { action: id, result });
  return o.renderPage(notice);
}
