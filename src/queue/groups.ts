/**
 * Run items grouped by conversation: each group in order, groups concurrently. Once an item of a
 * group fails, the group's later items are not run and count as failed too (FIFO order must hold:
 * they are retried after it). Returns the failed items with their errors, in input order.
 */
export async function processInGroups<T>(
  items: readonly T[],
  groupOf: (item: T) => string,
  run: (item: T) => Promise<void>,
): Promise<Array<{ item: T; error: unknown }>> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = groupOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const failures = new Map<T, unknown>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      let blockedBy: unknown;
      let blocked = false;
      for (const item of group) {
        if (blocked) {
          failures.set(item, blockedBy);
          continue;
        }
        try {
          await run(item);
        } catch (err) {
          blocked = true;
          blockedBy = err;
          failures.set(item, err);
        }
      }
    }),
  );
  return items.filter((item) => failures.has(item)).map((item) => ({ item, error: failures.get(item) }));
}
