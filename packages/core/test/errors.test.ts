import { describe, expect, it } from 'vitest';
import { abortError, DbrsError, isDbrsError, throwIfAborted } from '../src/index.js';

describe('DbrsError', () => {
  it('carries a code, cause, hint and secret-free JSON', () => {
    const cause = new Error('socket hang up');
    const err = new DbrsError('CONNECTION_FAILED', 'Cannot connect.', {
      cause,
      hint: 'Check the host.',
      details: { port: 5432 },
    });
    expect(err.message).toBe('Cannot connect. Check the host.');
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('DbrsError');
    expect(err.toJSON()).toMatchObject({ code: 'CONNECTION_FAILED', details: { port: 5432 } });
    expect(isDbrsError(err)).toBe(true);
    expect(isDbrsError(err, 'CONNECTION_FAILED')).toBe(true);
    expect(isDbrsError(err, 'TIMEOUT')).toBe(false);
    expect(isDbrsError(new Error('x'))).toBe(false);
    // Recognised by brand even when it crossed a structured clone or a second copy of the package.
    expect(isDbrsError({ name: 'DbrsError', code: 'TIMEOUT', message: 'x' })).toBe(true);
  });

  it('turns an aborted signal into ABORTED', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal, 'backup')).toThrowError(/backup was aborted/);
    expect(abortError(controller.signal).code).toBe('ABORTED');
  });
});
