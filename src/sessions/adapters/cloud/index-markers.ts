import type { TenantId } from '../../../core/ids.js';
import type { IndexMarker } from './schema.js';

/**
 * When an index marker (schema.ts) is written and how long it lives. The item it indexes moves its
 * own `ttl` forward on every write; the marker is written once at creation and then only when the
 * `indexTtl` stored on the item comes within half a retention period, each time with
 * ttl = the item's ttl + one retention period — so a marker always outlives its item, and an
 * orphan marker (its item deleted or expired) is skipped by listings and expires by itself.
 */
export interface MarkerPolicy {
  /** How long the indexed item lives after its last write (ms). */
  retentionMs: number;
}

/** The marker's ttl (epoch seconds) for an item whose own ttl is `itemTtl` (epoch seconds). */
export function markerTtl(policy: MarkerPolicy, itemTtl: number): number {
  return itemTtl + Math.ceil(policy.retentionMs / 1000);
}

/** Whether a write at `now` (ms) must (re)write the marker: none yet, or less than half a retention ahead. */
export function markerDue(policy: MarkerPolicy, indexTtl: number | undefined, now: number): boolean {
  return indexTtl === undefined || indexTtl * 1000 - now < policy.retentionMs / 2;
}

/** The marker item on `tenant`'s partition for the item at `sk`. */
export function markerItem(
  tenant: TenantId,
  sk: string,
  kind: IndexMarker['kind'],
  ttl: number,
): IndexMarker {
  return { pk: tenant, sk, kind, ttl };
}
