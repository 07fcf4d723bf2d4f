import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configSchema } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMANDS, GLOBAL_OPTIONS } from '../src/cli/commands/index.js';
import { main } from '../src/cli/main.js';
import { staleBuildReason } from './support/run-cli.js';
import { scratchDir } from './support/suite-helpers.js';

/*
 * No Docker engine runs here, so the image is never built by these tests:
 * they read the Dockerfile and the manifests as text/YAML and check them
 * against what the suite's build and `dbrs serve` actually produce.
 */

const PKG = resolve(import.meta.dirname, '..');
const DEPLOY = resolve(PKG, '../../deploy');
const K8S = join(DEPLOY, 'kubernetes');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions by stage, continuation lines joined, comments dropped. */
function dockerStages(text: string): Instruction[][] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of joined.split('\n')) {
    const m = line.trim().match(/^([A-Za-z]+)\s+(.*)$/);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stages.push([]);
    stages.at(-1)?.push({ op, args: m[2]!.trim() });
  }
  return stages;
}

const one = (stage: Instruction[], op: string): string => {
  const found = stage.filter((i) => i.op === op);
  expect(found, op).toHaveLength(1);
  return found[0]!.args;
};

// biome-ignore lint/suspicious/noExplicitAny: manifests are navigated freely in assertions.
const yamlFile = (name: string): any => parseYaml(readFileSync(join(K8S, name), 'utf8'));

describe('deploy/Dockerfile (static checks; the image is not built here)', () => {
  const stages = dockerStages(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1)!;
  const build = stages[0]!;
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as {
    name: string;
    files: string[];
    bin: Record<string, string>;
  };

  it('runs dist/cli.js, the file the suite build emits for its dbrs bin', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(one(runtime, 'FROM')).toMatch(/^node:24[-.\w]*$/);
    const entrypoint = JSON.parse(one(runtime, 'ENTRYPOINT')) as string[];
    const nodeAt = entrypoint.indexOf('node');
    expect(nodeAt, 'ENTRYPOINT runs node').toBeGreaterThanOrEqual(0);
    const script = entrypoint[nodeAt + 1]!;
    // /app/dist/cli.js ← WORKDIR /app + COPY --from=build /out ./ ← `pnpm deploy` of the suite into /out.
    const workdir = one(runtime, 'WORKDIR');
    expect(script.startsWith(`${workdir}/`)).toBe(true);
    const relative = script.slice(workdir.length + 1);
    expect(relative).toBe('dist/cli.js');
    expect(runtime.some((i) => i.op === 'COPY' && /--from=build\s+\/out\s+\.\/?$/.test(i.args))).toBe(true);
    const buildRun = build.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(buildRun.some((r) => r.includes(`--filter "${pkg.name}..." run build`))).toBe(true);
    expect(buildRun.some((r) => new RegExp(`--filter ${pkg.name} deploy --prod.*\\s/out\\b`).test(r))).toBe(true);
    // `pnpm deploy` copies the package's `files`; the bin and the build output must agree with the Dockerfile.
    expect(pkg.files).toContain('dist');
    expect(pkg.files).toContain('bin');
    // The bin is a checked-in launcher (it exists before the build) that imports the same file.
    expect(pkg.bin['dbrs']).toBe('./bin/dbrs.js');
    expect(readFileSync(join(PKG, 'bin/dbrs.js'), 'utf8')).toContain(`import('../${relative}')`);
    // tsup names each output after its entry key; ESM in a `type: module` package gets `.js`.
    expect(readFileSync(join(PKG, 'tsup.config.ts'), 'utf8')).toMatch(/\bcli: 'src\/cli\.ts'/);
    expect(readFileSync(join(PKG, '../../tsup.config.base.ts'), 'utf8')).toMatch(/format: \['esm'\]/);
    expect(readFileSync(join(PKG, 'src/cli.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    // tini is what ENTRYPOINT execs first, so it must be installed.
    expect(entrypoint[0]).toBe('/usr/bin/tini');
  });

  it('when a fresh build exists, dist/cli.js is the dbrs CLI and knows the image’s serve flags', () => {
    const built = join(PKG, 'dist/cli.js');
    if (!existsSync(built)) {
      // CI builds before testing; locally the static checks above stand alone.
      expect(existsSync(join(PKG, 'dist'))).toBe(false);
      return;
    }
    expect(statSync(built).isFile()).toBe(true);
    const text = readFileSync(built, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node')).toBe(true);
    // The full CLI is a chunk the launcher imports when it runs (wal push|fetch never load it).
    const chunks = [...text.matchAll(/import\(['"]\.\/([\w.-]+\.js)['"]\)/g)].map((m) => m[1]!);
    expect(chunks.some((c) => readFileSync(join(PKG, 'dist', c), 'utf8').includes('Usage: dbrs <command>'))).toBe(true);
    // `dbrs wal push|fetch` (archive_command / restore_command) load the bundled lean entry next to it.
    expect(text).toContain('./cli-wal.js');
    expect(existsSync(join(PKG, 'dist/cli-wal.js'))).toBe(true);
    // Running it needs the dependencies' builds too; a stale build proves nothing, so only a fresh one is run.
    if (staleBuildReason() !== undefined) return;
    const help = spawnSync(process.execPath, [built, 'serve', '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(help.status, help.stderr).toBe(0);
    for (const flag of ['--host', '--port', '--metrics-port']) expect(help.stdout).toContain(flag);
  });

  it('installs postgresql-client of major 15 or newer, zstd and tini', () => {
    const installs = runtime
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join(' ');
    const client = installs.match(/\bpostgresql-client-(\d+)\b/);
    expect(client, 'postgresql-client-<major>').not.toBeNull();
    expect(Number(client![1])).toBeGreaterThanOrEqual(15);
    expect(installs).toMatch(/\bzstd\b/);
    expect(installs).toMatch(/\btini\b/);
  });

  it('exposes 8080 and 9090, runs `serve` as a non-root user, and health-checks /health', () => {
    const exposed = one(runtime, 'EXPOSE').split(/\s+/);
    expect(exposed).toEqual(expect.arrayContaining(['8080', '9090']));
    const cmd = JSON.parse(one(runtime, 'CMD')) as string[];
    expect(cmd[0]).toBe('serve');
    const known = { ...GLOBAL_OPTIONS, ...COMMANDS['serve']!.options };
    for (const flag of cmd.filter((a) => a.startsWith('--'))) expect(Object.keys(known), flag).toContain(flag.slice(2));
    expect(one(runtime, 'USER')).toBe('node');
    expect(one(runtime, 'HEALTHCHECK')).toContain('http://127.0.0.1:8080/health');
    const defaults = configSchema.parse({});
    expect([String(defaults.server.port), String(defaults.metrics.port)]).toEqual(['8080', '9090']);
  });
});

describe('deploy/kubernetes manifests against `dbrs serve`', () => {
  const deployment = yamlFile('deployment.yaml');
  const service = yamlFile('service.yaml');
  const configMap = yamlFile('configmap.yaml');
  const secret = yamlFile('secret.example.yaml');
  const container = deployment.spec.template.spec.containers[0];
  const ports = Object.fromEntries(
    (container.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]),
  ) as Record<string, number>;
  const args = container.args as string[];
  const argValue = (flag: string) => args[args.indexOf(flag) + 1];

  it('lists only files that exist and parse', () => {
    for (const file of yamlFile('kustomization.yaml').resources as string[]) {
      expect(existsSync(join(K8S, file)), file).toBe(true);
    }
    expect(deployment.kind).toBe('Deployment');
    expect(service.kind).toBe('Service');
    expect(configMap.kind).toBe('ConfigMap');
  });

  it('probes /health and /ready on the http port, which is the port `serve` is told to use', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(ports).toEqual({ http: 8080, metrics: 9090 });
    expect(args[0]).toBe('serve');
    const known = { ...GLOBAL_OPTIONS, ...COMMANDS['serve']!.options };
    for (const flag of args.filter((a) => a.startsWith('--')))
      expect(Object.keys(known), flag).toContain(flag.slice(2));
    expect(argValue('--port')).toBe(String(ports['http']));
    expect(argValue('--metrics-port')).toBe(String(ports['metrics']));
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/port']).toBe(String(ports['metrics']));
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    for (const p of service.spec.ports as Array<{ port: number; targetPort: string }>) {
      expect(ports[p.targetPort], p.targetPort).toBe(p.port);
    }
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
  });

  it('mounts the ConfigMap where --config points, and every variable it substitutes is set by the Deployment', () => {
    const config = argValue('--config')!;
    const mount = (container.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) =>
      config.startsWith(`${m.mountPath}/`),
    );
    expect(mount, config).toBeDefined();
    const volume = (
      deployment.spec.template.spec.volumes as Array<{ name: string; configMap?: { name: string } }>
    ).find((v) => v.name === mount!.name);
    expect(volume?.configMap?.name).toBe(configMap.metadata.name);
    const file = config.slice(mount!.mountPath.length + 1);
    expect(Object.keys(configMap.data)).toContain(file);
    const provided = new Set([
      ...(container.env as Array<{ name: string }>).map((e) => e.name),
      ...Object.keys(secret.stringData),
    ]);
    expect(container.envFrom[0].secretRef.name).toBe(secret.metadata.name);
    const required = [...(configMap.data[file] as string).matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(provided.has(name), name).toBe(true);
  });

  describe('the Deployment’s serve command, run in process with its ConfigMap and environment', () => {
    const db = useTestDatabase({ beforeAll, afterAll });
    const dir = scratchDir('dbrs-deploy-');
    afterAll(() => dir.remove());

    it('serves the probe paths on the http port without a key and /metrics on the metrics port', async () => {
      const configPath = join(dir.path, 'database_config.yaml');
      writeFileSync(configPath, configMap.data['database_config.yaml']);
      const url = new URL(db.url);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env['PATH'],
        ...Object.fromEntries((container.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value])),
        ...secret.stringData,
        DB_HOST: url.hostname,
        DB_PORT: url.port,
        DB_NAME: url.pathname.slice(1),
        DB_USER: decodeURIComponent(url.username),
        DB_PASSWORD: decodeURIComponent(url.password),
        // No S3 here: the backup feature is switched off rather than pointed at a bucket it cannot reach.
        BACKUP_ENABLED: 'false',
      };
      // The Deployment's own arguments, with free ports, this file, and loopback instead of 0.0.0.0.
      const argv = args.map((a, i) => {
        const flag = args[i - 1];
        if (flag === '--port' || flag === '--metrics-port') return '0';
        if (flag === '--config') return configPath;
        if (flag === '--host') return '127.0.0.1';
        return a;
      });
      let stdout = '';
      let stderr = '';
      let announce: (line: string) => void = () => {};
      const announced = new Promise<string>((r) => {
        announce = r;
      });
      const stop = new AbortController();
      const exit = main(
        [...argv, '--json', '--no-scheduler'],
        {
          stdout: {
            write: (s: string) => {
              stdout += s;
              if (stdout.includes('\n')) announce(stdout.split('\n')[0]!);
            },
          },
          stderr: { write: (s: string) => (stderr += s) },
          env,
          cwd: dir.path,
        },
        stop.signal,
      );
      const first = await Promise.race([announced, exit.then((code) => `exit ${code}: ${stderr}`)]);
      try {
        const info = JSON.parse(first) as { url: string; metricsUrl: string; apiKey: string };
        expect(info.apiKey).toBe('required'); // DBRS_API_KEY from the Secret
        const health = await fetch(`${info.url}/health`);
        expect(health.status).toBe(200);
        const ready = await fetch(`${info.url}/ready`);
        expect(ready.status, await ready.clone().text()).toBe(200);
        expect((await fetch(`${info.url}/status`)).status).toBe(401);
        const metrics = await fetch(info.metricsUrl);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('voicehive_dbrs_component_health');
        // Metrics live on their own port, as the scrape annotation says.
        expect((await fetch(`${info.url}/metrics`)).status).toBe(404);
        expect(new URL(info.metricsUrl).port).not.toBe(new URL(info.url).port);
      } finally {
        stop.abort();
        expect(await exit).toBe(0);
      }
    });
  });
});
