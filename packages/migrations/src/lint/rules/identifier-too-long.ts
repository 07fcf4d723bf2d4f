import { defineRule } from '../rule.js';

/**
 * The parser itself truncates long names to 63 bytes (NAMEDATALEN), as the
 * server does, so the check reads the statement text, not the AST.
 */
const IDENT = /"((?:[^"]|"")+)"|\b([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)/g;

export default defineRule({
  id: 'identifier-too-long',
  severity: 'warning',
  anchor: 'H',
  summary: 'identifier longer than 63 bytes',
  check({ stmt }) {
    const text = stmt.text.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, '');
    const long = new Set<string>();
    for (const m of text.matchAll(IDENT)) {
      const name = m[1] ?? m[2] ?? '';
      if (Buffer.byteLength(name) > 63) long.add(name);
    }
    return [...long].map(
      (n) =>
        `"${n.slice(0, 20)}…" is ${Buffer.byteLength(n)} bytes; PostgreSQL silently truncates identifiers to 63, so later references by the full name miss. Shorten it.`,
    );
  },
});
