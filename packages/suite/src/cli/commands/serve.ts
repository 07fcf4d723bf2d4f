import { once } from 'node:events';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';

/**
 * The sidecar: health, readiness, status and the page on one port (8080),
 * metrics on another (9090), as in the original deployment; the maintenance
 * scheduler runs until SIGTERM or SIGINT, then everything shuts down.
 */
export async function serveCommand(ctx: CommandContext): Promise<number> {
  const suite = await ctx.openSuite();
  try {
    const host = ctx.str('host') ?? suite.config.server.host;
    const port = ctx.num('port') ?? suite.config.server.port;
    const metricsPort = ctx.num('metrics-port') ?? suite.config.metrics.port;
    // metrics.enabled false (PROMETHEUS_ENABLED=false): no /metrics anywhere.
    const metricsOn = suite.config.metrics.enabled;
    // Port 0 means "any free port" for each server, so two zeros are still two servers.
    const shared = metricsOn && metricsPort === port && port !== 0;
    const main = await suite.serve({
      host,
      port,
      routes: ['health', 'ready', 'status', 'page', ...(shared ? (['metrics'] as const) : [])],
    });
    const metrics =
      shared || !metricsOn ? undefined : await suite.serve({ host, port: metricsPort, routes: ['metrics', 'health'] });
    if (ctx.values['no-scheduler'] !== true) suite.startScheduler();
    const info = {
      status: 'serving',
      url: main.url,
      metricsUrl: metricsOn ? `${(metrics ?? main).url}/metrics` : null,
      apiKey: suite.config.server.apiKey ? 'required' : 'not configured (status and page are open, actions disabled)',
      viewerKeys: suite.config.server.viewerApiKeys.length,
    };
    // One JSON line, so a supervisor or test can read the addresses as soon as they exist.
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(info)}\n`);
    else
      ctx.print(
        `Serving ${main.url} (health, ready, status, page)${info.metricsUrl ? ` and ${info.metricsUrl}` : ', metrics off'}\nAPI key: ${info.apiKey}${info.viewerKeys ? ` (and ${info.viewerKeys} viewer key${info.viewerKeys === 1 ? '' : 's'})` : ''}\nPress Ctrl+C to stop.`,
        info,
      );
    if (!ctx.signal.aborted) await once(ctx.signal, 'abort');
    return EXIT.OK;
  } finally {
    await suite.shutdown();
  }
}
