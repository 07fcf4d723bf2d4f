/** A queue of buffers from which exact-size slices are taken without re-copying everything. */
export class ChunkBuffer {
  #parts: Buffer[] = [];
  length = 0;

  push(buf: Buffer): void {
    if (buf.length === 0) return;
    this.#parts.push(buf);
    this.length += buf.length;
  }

  /** Removes and returns the first `n` bytes (n <= length). */
  take(n: number): Buffer {
    if (n > this.length) throw new RangeError(`take(${n}) with ${this.length} buffered`);
    this.length -= n;
    const first = this.#parts[0];
    if (first && first.length === n) {
      this.#parts.shift();
      return first;
    }
    if (first && first.length > n) {
      this.#parts[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const part = this.#parts[0]!;
      const need = n - off;
      if (part.length <= need) {
        part.copy(out, off);
        off += part.length;
        this.#parts.shift();
      } else {
        part.copy(out, off, 0, need);
        this.#parts[0] = part.subarray(need);
        off += need;
      }
    }
    return out;
  }

  /** Removes the first `n` bytes as the buffers (or slices) holding them: no copy. */
  takeParts(n: number): Buffer[] {
    if (n > this.length) throw new RangeError(`takeParts(${n}) with ${this.length} buffered`);
    this.length -= n;
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const part = this.#parts[0]!;
      if (part.length <= need) {
        out.push(part);
        this.#parts.shift();
        need -= part.length;
      } else {
        out.push(part.subarray(0, need));
        this.#parts[0] = part.subarray(need);
        need = 0;
      }
    }
    return out;
  }

  /** The first `n` bytes without removing them. */
  peek(n: number): Buffer {
    const all = Buffer.concat(this.#parts);
    this.#parts = all.length ? [all] : [];
    return all.subarray(0, n);
  }

  takeAll(): Buffer {
    return this.take(this.length);
  }
}
