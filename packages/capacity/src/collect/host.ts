import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import type { HostReading } from './types.js';

interface CpuTimes {
  busy: number;
  total: number;
}

async function cpuTimes(): Promise<CpuTimes> {
  const stat = await readFile('/proc/stat', 'utf8');
  const fields = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are "not busy".
  const total = fields.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

async function memory(): Promise<{ total: number; available: number }> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

async function diskBytes(): Promise<{ read: number; written: number }> {
  // Whole disks only (partitions would double count); loop and ram devices are not storage.
  const disks = new Set(
    (await readdir('/sys/block').catch(() => [] as string[])).filter((d) => !/^(loop|ram|zram)/.test(d)),
  );
  const text = await readFile('/proc/diskstats', 'utf8');
  let read = 0;
  let written = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !disks.has(f[2]!)) continue;
    read += Number(f[5]) * 512;
    written += Number(f[9]) * 512;
  }
  return { read, written };
}

/** Host CPU, memory and block I/O from /proc; only meaningful when the server runs on this host. */
export class HostReader {
  #previousCpu: CpuTimes | undefined;

  async read(): Promise<HostReading> {
    const [cpu, mem, disk] = await Promise.all([cpuTimes(), memory(), diskBytes()]);
    let cpuPercent: number | null = null;
    if (this.#previousCpu && cpu.total > this.#previousCpu.total) {
      cpuPercent = (100 * (cpu.busy - this.#previousCpu.busy)) / (cpu.total - this.#previousCpu.total);
    }
    this.#previousCpu = cpu;
    return {
      cpuPercent,
      memoryTotalBytes: mem.total,
      memoryAvailableBytes: mem.available,
      memoryUsedPercent: mem.total > 0 ? (100 * (mem.total - mem.available)) / mem.total : 0,
      diskReadBytes: disk.read,
      diskWriteBytes: disk.written,
      loadAverage1m: loadavg()[0] ?? 0,
    };
  }
}
