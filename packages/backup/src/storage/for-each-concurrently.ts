/**
 * Calls `fn` on every item with at most `limit` calls in flight, for backends
 * whose deletes are one request per object. Rejects with the first failure;
 * from then on no worker takes a new item (calls already in flight finish),
 * so a failing backend does not keep receiving requests nobody awaits.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
