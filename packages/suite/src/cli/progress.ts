import { formatBytes } from '../format/units.js';

export interface ProgressUpdate {
  /** Bytes (or units) done so far in this phase. */
  done: number;
  /** Total for this phase when known. */
  total?: number;
  /** The total is an estimate (e.g. table sizes before a dump): the ETA is shown as `~`. */
  estimated?: boolean;
  phase?: string;
  /**
   * What `done` counts: bytes (default), finished objects (a restore's
   * indexes, constraints), or nothing measurable (a check that only shows
   * elapsed time).
   */
  unit?: 'bytes' | 'items' | 'none';
  /** Words after `done` (a dump's "read, 12.3 MB compressed, 11.0 MB uploaded"). */
  detail?: string;
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
  /** Redraws the current line every second, so a step without events (an index build) still shows its time. */
  #ticker: NodeJS.Timeout | undefined;

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
    this.#draw(now);
    this.#ticker ??= setInterval(() => this.#draw(this.#clock()), 1000).unref();
  }

  #draw(now: number): void {
    if (!this.#last) return;
    this.#lastDraw = now;
    this.#stream.write(`\r${renderProgress(this.#label, this.#last, (now - this.#phaseStarted) / 1000)}\u001b[K`);
    this.#drawn = true;
  }

  /** Leaves the finished phase as one summary line. */
  #finishPhase(now: number): void {
    if (!this.#drawn || !this.#last) return;
    this.#stream.write(`\r${renderPhaseDone(this.#label, this.#last, (now - this.#phaseStarted) / 1000)}\u001b[K\n`);
    this.#drawn = false;
  }

  done(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (!this.#enabled) return;
    this.#finishPhase(this.#clock());
  }
}

/** `done` in its unit, with the extra figures: "90.0 MB read, 12.3 MB compressed", "12 done", "". */
function amount(p: ProgressUpdate): string {
  const unit = p.unit ?? 'bytes';
  if (unit === 'none') return '';
  const main = unit === 'items' ? `${p.done} done` : formatBytes(p.done);
  return ` ${main}${p.detail ? ` ${p.detail}` : ''}`;
}

function rateOf(p: ProgressUpdate, seconds: number): string | undefined {
  const rate = seconds > 0 ? p.done / seconds : 0;
  if (rate <= 0 || p.unit === 'none') return undefined;
  return p.unit === 'items' ? `${rate.toFixed(1)}/s` : `${formatBytes(rate)}/s`;
}

export function renderPhaseDone(label: string, p: ProgressUpdate, seconds: number): string {
  const rate = rateOf(p, seconds);
  const what = amount(p);
  return `${label}${p.phase ? ` ${p.phase}` : ''} done:${what}${what ? ' in' : ''} ${formatDuration(seconds)}${rate ? ` (${rate})` : ''}`;
}

export function renderProgress(label: string, p: ProgressUpdate, elapsedSeconds: number, width = 24): string {
  const rate = elapsedSeconds > 0 ? p.done / elapsedSeconds : 0;
  const rateText = rateOf(p, elapsedSeconds) ?? ((p.unit ?? 'bytes') === 'bytes' ? `${formatBytes(0)}/s` : '');
  const phase = p.phase ? ` ${p.phase}` : '';
  if (p.total && p.total > 0 && (p.unit ?? 'bytes') !== 'none') {
    const f = Math.min(1, p.done / p.total);
    const filled = Math.round(f * width);
    // Past an estimated total the remaining time is unknown, not zero.
    const eta = rate > 0 && p.done < p.total ? (p.total - p.done) / rate : Number.NaN;
    return `${label}${phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%${amount(p)} ${rateText} ETA ${p.estimated && Number.isFinite(eta) ? '~' : ''}${formatDuration(eta)}`;
  }
  return `${label}${phase}${amount(p)}${rateText ? ` ${rateText}` : ''} elapsed ${formatDuration(elapsedSeconds)}`;
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
