export interface ProgressUpdate {
  /** Bytes (or units) done so far in this phase. */
  done: number;
  /** Total for this phase when known. */
  total?: number;
  /** The total is an estimate (e.g. table sizes before a dump): the ETA is shown as `~`. */
  estimated?: boolean;
  phase?: string;
}

/**
 * A progress line with rate and ETA on stderr, drawn only when stderr is a
 * terminal (never in pipes, CI logs or `--json` runs). By phase: rate and
 * ETA count from the phase's own start, and when the phase changes the
 * finished one stays on screen as a summary line (`backup dump done: 202.0
 * MB in 0:12 (16.8 MB/s)`), so a restore's download and its data load, or a
 * dump and its upload, are not one bar that jumps.
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #label: string;
  readonly #clock: () => number;
  #phase: string | undefined;
  #phaseStarted: number;
  #last: ProgressUpdate | undefined;
  #lastDraw = 0;
  #drawn = false;

  constructor(label: string, options: { stream?: NodeJS.WriteStream; enabled?: boolean; clock?: () => number } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = options.enabled ?? Boolean(this.#stream.isTTY);
    this.#label = label;
    this.#clock = options.clock ?? Date.now;
    this.#phaseStarted = this.#clock();
  }

  update(p: ProgressUpdate): void {
    if (!this.#enabled) return;
    const now = this.#clock();
    const newPhase = p.phase !== this.#phase;
    if (newPhase) {
      // The first phase started with the command; a later one when the previous one ended.
      if (this.#last) {
        this.#finishPhase(now);
        this.#phaseStarted = now;
      }
      this.#phase = p.phase;
    }
    this.#last = p;
    // A phase change is always drawn; otherwise at most ten times a second.
    if (!newPhase && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#stream.write(`\r${renderProgress(this.#label, p, (now - this.#phaseStarted) / 1000)}\u001b[K`);
    this.#drawn = true;
  }

  /** Leaves the finished phase as one summary line. */
  #finishPhase(now: number): void {
    if (!this.#drawn || !this.#last) return;
    this.#stream.write(`\r${renderPhaseDone(this.#label, this.#last, (now - this.#phaseStarted) / 1000)}\u001b[K\n`);
    this.#drawn = false;
  }

  done(): void {
    if (!this.#enabled) return;
    this.#finishPhase(this.#clock());
  }
}

export function renderPhaseDone(label: string, p: ProgressUpdate, seconds: number): string {
  const rate = seconds > 0 ? p.done / seconds : 0;
  return `${label}${p.phase ? ` ${p.phase}` : ''} done: ${formatBytes(p.done)} in ${formatDuration(seconds)}${rate > 0 ? ` (${formatBytes(rate)}/s)` : ''}`;
}

export function renderProgress(label: string, p: ProgressUpdate, elapsedSeconds: number, width = 24): string {
  const rate = elapsedSeconds > 0 ? p.done / elapsedSeconds : 0;
  const rateText = `${formatBytes(rate)}/s`;
  const phase = p.phase ? ` ${p.phase}` : '';
  if (p.total && p.total > 0) {
    const f = Math.min(1, p.done / p.total);
    const filled = Math.round(f * width);
    // Past an estimated total the remaining time is unknown, not zero.
    const eta = rate > 0 && p.done < p.total ? (p.total - p.done) / rate : Number.NaN;
    return `${label}${phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${formatBytes(p.done)} ${rateText} ETA ${p.estimated && Number.isFinite(eta) ? '~' : ''}${formatDuration(eta)}`;
  }
  return `${label}${phase} ${formatBytes(p.done)} ${rateText} elapsed ${formatDuration(elapsedSeconds)}`;
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
