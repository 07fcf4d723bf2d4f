import { createServer } from 'node:net';

/**
 * Asks the kernel for a free port by binding port 0. Another process can take
 * it before our server binds, so callers retry their start on "address in use".
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('Could not find a free TCP port.'))));
    });
  });
}
