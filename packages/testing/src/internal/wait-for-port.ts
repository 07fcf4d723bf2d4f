import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForPortOptions {
  host?: string;
  /** Default 30 000 ms. */
  timeoutMs?: number;
  /** Stops waiting early, e.g. when the server process has already exited. */
  isDead?: () => string | undefined;
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const dead = options.isDead?.();
    if (dead !== undefined) throw new Error(dead);
    if (await canConnect(host, port)) return;
    if (Date.now() > deadline)
      throw new Error(`Nothing is listening on ${host}:${port} after ${options.timeoutMs ?? 30_000} ms.`);
    await sleep(50);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
