import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressUpdate } from '../src/cli/commands/backup.js';
import { ProgressBar, renderPhaseDone, renderProgress } from '../src/cli/progress.js';

const MB = 1024 * 1024;

/** A terminal-like stream that keeps what was written. */
function terminal() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  (stream as { isTTY?: boolean }).isTTY = true;
  return {
    stream,
    /** Lines as a person sees them: each \r returns to the start, \u001b[K clears the rest. */
    screen: () =>
      text
        .split('\n')
        .map((l) => (l.split('\r').at(-1) ?? '').split('\u001b[K').join(''))
        .filter(Boolean),
  };
}

describe('CLI progress by phase', () => {
  it('keeps a summary line per finished phase, with rate and ETA counted from the phase start', () => {
    const t = terminal();
    let now = 0;
    const bar = new ProgressBar('backup', { stream: t.stream, clock: () => now });
    now = 5_000;
    bar.update({ phase: 'dump', done: 50 * MB, total: 200 * MB, estimated: true });
    // The bar counts from construction for the first phase: 50 MB in 5 s → 10 MB/s, 150 MB left → ~0:15.
    expect(t.screen().at(-1)).toBe('backup dump [######..................]  25% 50.0 MB 10.0 MB/s ETA ~0:15');
    now = 20_000;
    bar.update({ phase: 'dump', done: 200 * MB, total: 200 * MB, estimated: true });
    now = 21_000;
    bar.update({ phase: 'upload', done: 10 * MB });
    now = 26_000;
    bar.update({ phase: 'upload', done: 60 * MB });
    bar.done();
    expect(t.screen()).toEqual([
      'backup dump done: 200 MB in 0:21 (9.5 MB/s)',
      // The upload's rate is its own: 60 MB in the 5 s since it started, not since the dump began.
      'backup upload done: 60.0 MB in 0:05 (12.0 MB/s)',
    ]);
  });

  it('shows an unknown ETA rather than 0:00 once an estimated total is passed', () => {
    expect(renderProgress('backup', { phase: 'dump', done: 300 * MB, total: 200 * MB, estimated: true }, 10)).toBe(
      'backup dump [########################] 100% 300 MB 30.0 MB/s ETA --:--',
    );
    expect(renderProgress('restore', { phase: 'restore', done: 10 * MB }, 4)).toBe(
      'restore restore 10.0 MB 2.5 MB/s elapsed 0:04',
    );
  });

  it('a dump shows bytes read, compressed and uploaded; restore steps show bytes or objects done', () => {
    const dump = progressUpdate(
      { phase: 'dump', bytes: 90 * MB, rate: 0, storedBytes: 12 * MB, uploadedBytes: 11 * MB },
      180 * MB,
      true,
    );
    expect(renderProgress('backup', dump, 9)).toBe(
      'backup dump [############............]  50% 90.0 MB read, 12.0 MB compressed, 11.0 MB uploaded 10.0 MB/s ETA ~0:09',
    );
    const data = progressUpdate({ phase: 'restore', step: 'data', bytes: 40 * MB, rate: 0, items: 3 }, 80 * MB);
    expect(renderProgress('restore', { ...data, phase: 'data' }, 4)).toBe(
      'restore data [############............]  50% 40.0 MB 10.0 MB/s ETA 0:04',
    );
    const indexes = progressUpdate({ phase: 'restore', step: 'indexes', bytes: 80 * MB, rate: 0, items: 12 }, 80 * MB);
    expect(renderProgress('restore', { ...indexes, phase: 'indexes' }, 4)).toBe(
      'restore indexes 12 done 3.0/s elapsed 0:04',
    );
    expect(renderPhaseDone('restore', { ...indexes, phase: 'indexes' }, 4)).toBe(
      'restore indexes done: 12 done in 0:04 (3.0/s)',
    );
    const amcheck = progressUpdate({ phase: 'verify', step: 'amcheck', bytes: 0, rate: 0 }, 80 * MB);
    expect(renderProgress('verify', { ...amcheck, phase: 'amcheck' }, 7)).toBe('verify amcheck elapsed 0:07');
  });

  it('draws nothing when stderr is not a terminal', () => {
    const t = terminal();
    const bar = new ProgressBar('backup', { stream: t.stream, enabled: false });
    bar.update({ phase: 'dump', done: 1 });
    bar.done();
    expect(t.screen()).toEqual([]);
  });
});
