// One measured Node operation of bench/backup/run.ts, in a process of its own.
//
//   node bench/backup/child.mjs <backup|restore|pitr|verify|imports> '<json payload>'
//
// Plain JavaScript on purpose: a .ts entry makes Node load its type-stripping
// loader, which adds ~18 MB of RSS that a built application never pays and
// that would be counted as the library's (runs up to 2026-11-26T16:00Z did).
// Prints one JSON line: the operation's result, its wall time, peak RSS, and
// where the memory was at the start, after importing, and at the sampled peak.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [mode, raw] = process.argv.slice(2);
const payload = JSON.parse(raw ?? '{}');
const MB = 1024 * 1024;

function vm() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(status.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function heap() {
  const m = process.memoryUsage();
  return {
    rssMb: m.rss / MB,
    heapTotalMb: m.heapTotal / MB,
    heapUsedMb: m.heapUsed / MB,
    externalMb: m.external / MB,
    arrayBuffersMb: m.arrayBuffers / MB,
  };
}

const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));

if (mode === 'imports') {
  // RSS after importing each of core's dependencies in turn, then core and backup themselves.
  const req = createRequire(payload.coreDist);
  const steps = [{ step: 'node (no imports)', ...round(vm()) }];
  for (const spec of payload.specifiers) {
    await import(spec.startsWith('/') ? spec : req.resolve(spec));
    steps.push({ step: spec, ...round(vm()) });
  }
  process.stdout.write(`${JSON.stringify({ steps })}\n`);
} else {
  const atStart = round({ ...vm(), ...heap() });
  const { DatabaseBackupManager, LocalStorage } = await import(payload.backupDist);
  const afterImport = round({ ...vm(), ...heap() });
  const storage = new LocalStorage({ path: payload.store });
  const mgr = new DatabaseBackupManager(payload.url, { storage, ...payload.config });
  // Sampling is cheap (memoryUsage reads /proc once); it shows what the peak was made of.
  let peak = heap();
  const sampler = setInterval(() => {
    const h = heap();
    if (h.rssMb > peak.rssMb) peak = h;
  }, 20);
  const started = performance.now();
  let out = {};
  if (mode === 'backup') {
    const res = await mgr.createBackup(undefined, payload.options ?? {});
    out = { backupId: res.backupId, sizeBytes: res.sizeBytes, storedBytes: res.storedBytes };
  } else if (mode === 'restore') {
    await mgr.restoreBackup(payload.backupId, { targetDatabase: payload.target, jobs: payload.jobs });
  } else if (mode === 'pitr') {
    // Restore to an LSN and replay until paused there; count the marker rows the target must hold.
    let rowsAtTarget = -1;
    const r = await mgr.restoreBackup(payload.backupId, {
      targetDirectory: payload.targetDirectory,
      recoveryTarget: { lsn: payload.lsn },
      start: true,
      promote: false,
      atTarget: async (connect) => {
        const db = connect(payload.database);
        try {
          rowsAtTarget = Number((await db.query(payload.countSql)).rows[0].n);
        } finally {
          await db.close();
        }
      },
    });
    out = { pointInTime: r.pointInTime, rowsAtTarget };
  } else if (mode === 'verify') {
    out = { ...(await mgr.verifyBackup(payload.backupId, { level: payload.level })) };
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  await mgr.close();
  const memory = { atStart, afterImport, atPeakSample: round(peak) };
  process.stdout.write(`${JSON.stringify({ ...out, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, memory })}\n`);
}
