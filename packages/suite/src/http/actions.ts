/** Where the page offers an action: a button in the overview, on each live session's row, or in the queries section. */
export type ActionPlacement = 'overview' | 'session' | 'queries';

export interface ActionRunOptions {
  signal?: AbortSignal;
  /** Who asked, for the audit log: `http:operator`, `scheduler`, `cli`. */
  actor: string;
  /** The form fields the action declared in `params`, as posted. */
  params?: Record<string, string>;
  /** Address of the client that asked (the socket peer, or X-Forwarded-For when trusted). */
  client?: string;
}

/** One operator action offered on the page and at `POST <base>/actions/<id>`. */
export interface SuiteAction {
  label: string;
  /** Default 'overview'. */
  placement?: ActionPlacement;
  /** Form fields the action reads (e.g. `pid`); anything else posted is ignored. */
  params?: readonly string[];
  /**
   * Present for actions that cannot be undone: the first post only shows what
   * will happen (this text) and a confirming button; the action runs when the
   * form comes back with `confirm=yes`. It may throw to refuse at once (a pid
   * that is gone, a bad parameter).
   */
  confirm?(options: { params: Record<string, string>; signal?: AbortSignal }): Promise<string>;
  run(options: ActionRunOptions): Promise<unknown>;
}

/** The declared params picked out of a posted form (missing ones are absent, extra ones dropped). */
export function actionParams(action: SuiteAction, form: URLSearchParams | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of action.params ?? []) {
    const v = form?.get(name);
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}
