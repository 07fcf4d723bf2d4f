/**
 * Multipart part sizes for uploads of unknown length.
 *
 * S3 allows at most 10,000 parts of 5 MiB..5 GiB each. A fixed 8 MiB part
 * (what @aws-sdk/lib-storage's `Upload` would use, since its partSize is fixed
 * for the whole upload) caps an object at ~78 GiB, and a large fixed part makes
 * every small backup buffer that much memory. So the adapter runs its own
 * multipart loop where the part size doubles every 1,000 parts:
 *
 *   parts     1–1000  : base        (8 MiB →   ~7.8 GiB covered)
 *   parts  1001–2000  : base × 2    (        → ~23 GiB)
 *   …
 *   parts  9001–10000 : base × 512  (4 GiB   → ~7.99 TiB covered in total)
 *
 * With the default 8 MiB base, 10,000 parts hold ~8 TiB, more than the 5 TB
 * S3 object limit that most S3-compatible stores still enforce, and the
 * largest part (4 GiB) stays under the 5 GiB part limit. Memory stays at a
 * few parts of 8 MiB for every backup under ~8 GiB. A `sizeHint` above what
 * the default base covers raises the base (`partSizeFor`).
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PART_SIZE = 5 * GiB;
export const S3_MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 8 * MiB;
/** The part size doubles after this many parts. */
export const PARTS_PER_STEP = 1_000;

/** Bytes 10,000 parts can hold when the upload starts with `basePartSize`. */
export function multipartCapacity(basePartSize: number): number {
  let total = 0;
  for (let part = 1; part <= S3_MAX_PARTS; part += PARTS_PER_STEP) {
    total += partSizeAt(part, basePartSize) * PARTS_PER_STEP;
  }
  return total;
}

/**
 * The first part size for an upload expected to be `expectedBytes` long
 * (unknown: the 8 MiB default). Always a multiple of 1 MiB, at least 8 MiB,
 * and large enough that the growth rule fits the object in 10,000 parts.
 */
export function partSizeFor(expectedBytes?: number): number {
  if (
    expectedBytes === undefined ||
    !Number.isFinite(expectedBytes) ||
    expectedBytes <= multipartCapacity(DEFAULT_PART_SIZE)
  ) {
    return DEFAULT_PART_SIZE;
  }
  // capacity is linear in the base until the 5 GiB cap bites, so scale and round up.
  let base = Math.ceil((DEFAULT_PART_SIZE * (expectedBytes / multipartCapacity(DEFAULT_PART_SIZE))) / MiB) * MiB;
  while (multipartCapacity(base) < expectedBytes && base < S3_MAX_PART_SIZE) base += MiB;
  return Math.min(base, S3_MAX_PART_SIZE);
}

/** Size of part `partNumber` (1-based): `base × 2^floor((n−1)/1000)`, capped at 5 GiB. */
export function partSizeAt(partNumber: number, basePartSize = DEFAULT_PART_SIZE): number {
  const step = Math.floor((partNumber - 1) / PARTS_PER_STEP);
  return Math.min(basePartSize * 2 ** step, S3_MAX_PART_SIZE);
}

/** How many parts an object of `totalBytes` takes with the growth rule (at least 1). */
export function partsNeeded(totalBytes: number, basePartSize = DEFAULT_PART_SIZE): number {
  let remaining = totalBytes;
  let part = 0;
  do {
    part += 1;
    remaining -= partSizeAt(part, basePartSize);
  } while (remaining > 0);
  return part;
}
