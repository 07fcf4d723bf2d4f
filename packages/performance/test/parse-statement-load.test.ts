import { describe, expect, it } from 'vitest';
import { parseStatement } from '../src/index.js';

// Its own file so no other test has loaded the WASM parser in this worker first (vitest isolates files).
describe('exported parseStatement', () => {
  it('parses without the caller loading the parser first', async () => {
    const out = await parseStatement('SELECT id FROM bookings WHERE status = $1 ORDER BY 1');
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.shape.uses.map((u) => `${u.column}:${u.kind}`)).toEqual(['status:eq', 'id:sort']);
  });
});
