import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * How many proxies in front of the server append to `X-Forwarded-For`.
 * `false`/`0` (the default) ignores the header: anyone can send it, so
 * trusting it without a proxy that overwrites it would let a client pick
 * its own address and dodge the sign-in limit. `true` means one proxy.
 */
export type TrustProxy = boolean | number;

/**
 * The address a request comes from: the socket's peer, or with `trustProxy`
 * the entry the outermost trusted proxy appended to `X-Forwarded-For`
 * (counted from the right; the left end is whatever the client wrote).
 */
export function clientAddress(req: IncomingMessage, trustProxy: TrustProxy = false): string {
  const socket = req.socket?.remoteAddress ?? 'unknown';
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : Math.max(0, Math.floor(trustProxy));
  if (hops === 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (!raw) return socket;
  const chain = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (chain.length === 0) return socket;
  // Fewer entries than trusted hops: the request skipped a proxy, so the leftmost is the best we have.
  const picked = chain[Math.max(0, chain.length - hops)]!;
  const ip = stripPort(picked);
  // A trusted proxy writes a well-formed address; anything else is not worth a bucket of its own.
  return isIP(ip) ? ip : socket;
}

/**
 * The key an address is counted under: IPv4-mapped IPv6 as plain IPv4, and
 * IPv6 by its /64 network, since one host usually holds a whole /64 and
 * could otherwise take a fresh address for every few guesses.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const groups = expandIpv6(address.split('%')[0]!);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function stripPort(entry: string): string {
  // "[2001:db8::1]:443" or "203.0.113.7:51000"; a bare IPv6 has several colons and no brackets.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4port = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return v4port ? v4port[1]! : entry;
}

function expandIpv6(address: string): string[] | undefined {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) counts as two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array.from({ length: fill }, () => '0'), ...tail];
  if (groups.length !== 8) return undefined;
  return groups.map((g) => (Number.parseInt(g, 16) || 0).toString(16));
}
