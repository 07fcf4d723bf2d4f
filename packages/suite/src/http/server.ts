import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiKeyAuth } from './auth.js';
import { createSuiteHandler, type SuiteHandlerOptions, type SuiteHandlerTarget } from './handler.js';

export interface StartServerOptions extends SuiteHandlerOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'; use '0.0.0.0' in a container. */
  host?: string;
}

export interface RunningServer extends AsyncDisposable {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  server: Server;
  /** The server's keys and page sessions: `auth.setKeys()` rotates the keys and ends sessions made with old ones. */
  auth: ApiKeyAuth;
  close(): Promise<void>;
}

/** Serves the suite's routes on their own node:http server. */
export async function startServer(
  target: SuiteHandlerTarget,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const handler = createSuiteHandler(target, options);
  const server = createServer((req, res) => handler(req, res));
  // Short keep-alive so close() does not wait on idle browser connections.
  server.keepAliveTimeout = 2_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1_000).unref();
    }));
  return {
    url: `http://${shownHost}:${port}`,
    port,
    server,
    auth: handler.auth,
    close,
    [Symbol.asyncDispose]: close,
  };
}
