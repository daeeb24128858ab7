/** Ask DynamoDB to report the capacity a request consumed (the transfer metrics record it). */
export const CONSUMED_TOTAL = { ReturnConsumedCapacity: 'TOTAL' } as const;

/** Capacity units a response reports (`ReturnConsumedCapacity: 'TOTAL'`): one entry or one per table. */
export function consumedUnits(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, c: { CapacityUnits?: unknown }) => {
    return sum + (typeof c?.CapacityUnits === 'number' ? c.CapacityUnits : 0);
  }, 0);
}
