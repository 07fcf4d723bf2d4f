import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, DbrsError } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes JSON lines with timestamp, level, component and event', () => {
    const out = capture();
    const logger = createLogger({ component: 'backup', destination: out.destination });
    logger.info({ event: 'backup_started', database: 'hotels' }, 'backup started');
    const [line] = out.json();
    expect(line).toMatchObject({
      level: 'info',
      component: 'backup',
      event: 'backup_started',
      database: 'hotels',
      message: 'backup started',
    });
    expect(Date.parse(String(line!['timestamp']))).not.toBeNaN();
  });

  it('redacts a URL password, nested secret fields and secrets inside messages and errors', () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination });
    const url = 'postgres://app:S3cr3t-pw@db.internal:5432/hotels';
    logger.info(
      {
        event: 'connect',
        url,
        config: {
          database: { password: 'hunter2-pw' },
          backup: { s3: { secretAccessKey: 'AKIA-SECRET-XYZ' }, encryptionKey: 'passphrase-123' },
        },
        list: [{ token: 'tok-abc-123' }],
        azure: 'DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=azure-key-456==;BlobEndpoint=http://x',
      },
      `connecting to ${url}`,
    );
    logger.error({ event: 'failed', err: new DbrsError('CONNECTION_FAILED', `cannot reach ${url}`) }, 'failed');
    const text = out.lines.join('\n');
    for (const secret of [
      'S3cr3t-pw',
      'hunter2-pw',
      'AKIA-SECRET-XYZ',
      'passphrase-123',
      'tok-abc-123',
      'azure-key-456',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('postgres://app:[REDACTED]@db.internal:5432/hotels');
    const [first, second] = out.json();
    expect((first!['config'] as { database: { password: string } }).database.password).toBe('[REDACTED]');
    expect(second!['err']).toMatchObject({ code: 'CONNECTION_FAILED' });
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', destination: out.destination });
    logger.info({ event: 'quiet' }, 'hidden');
    logger.warn({ event: 'loud' }, 'shown');
    expect(out.json().map((l) => l['event'])).toEqual(['loud']);
  });
});
