export interface ProgressUpdate {
  /** Bytes (or units) done so far. */
  done: number;
  /** Total when known. */
  total?: number;
  phase?: string;
}

/**
 * A one-line progress bar with rate and ETA on stderr, drawn only when
 * stderr is a terminal (never in pipes, CI logs or `--json` runs).
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #label: string;
  readonly #started = Date.now();
  #lastDraw = 0;
  #drawn = false;

  constructor(label: string, options: { stream?: NodeJS.WriteStream; enabled?: boolean } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = options.enabled ?? Boolean(this.#stream.isTTY);
    this.#label = label;
  }

  update(p: ProgressUpdate): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#stream.write(`\r${renderProgress(this.#label, p, (now - this.#started) / 1000)}\u001b[K`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#enabled && this.#drawn) this.#stream.write('\r\u001b[K');
  }
}

export function renderProgress(label: string, p: ProgressUpdate, elapsedSeconds: number, width = 24): string {
  const rate = elapsedSeconds > 0 ? p.done / elapsedSeconds : 0;
  const rateText = `${formatBytes(rate)}/s`;
  const phase = p.phase ? ` ${p.phase}` : '';
  if (p.total && p.total > 0) {
    const f = Math.min(1, p.done / p.total);
    const filled = Math.round(f * width);
    const eta = rate > 0 ? (p.total - p.done) / rate : Number.NaN;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${formatBytes(p.done)} ${rateText} ETA ${formatDuration(eta)}${phase}`;
  }
  return `${label} ${formatBytes(p.done)} ${rateText} elapsed ${formatDuration(elapsedSeconds)}${phase}`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
}
