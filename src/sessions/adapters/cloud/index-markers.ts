import type { TenantId } from '../../../core/ids.js';
import type { IndexMarker } from './schema.js';

/**
 * When an index marker (schema.ts) is written and how long it lives. The item it indexes moves its
 * own `ttl` forward on every write; the marker is written once at creation, with ttl = the item's
 * ttl + one retention period, and again only on a write that moves the item's ttl past the marker's
 * (the `indexTtl` stored on the item) — about once per retention period of an active item, never
 * per turn. So a marker always outlives its item, and an orphan marker (its item deleted or
 * expired) is skipped by listings and expires by itself.
 *
 * (Refreshing only when the marker is "less than half a retention ahead" would not do: the item's
 * ttl is a whole retention ahead after each write, so an item going idle could outlive its marker
 * by up to half a retention and drop out of the listings early.)
 */
export interface MarkerPolicy {
  /** How long the indexed item lives after its last write (ms). */
  retentionMs: number;
}

/** The marker's ttl (epoch seconds) for an item whose own ttl is `itemTtl` (epoch seconds). */
export function markerTtl(policy: MarkerPolicy, itemTtl: number): number {
  return itemTtl + Math.ceil(policy.retentionMs / 1000);
}

/** Whether a write giving the item ttl `itemTtl` must (re)write the marker: none yet, or it would expire first. */
export function markerDue(indexTtl: number | undefined, itemTtl: number): boolean {
  return indexTtl === undefined || indexTtl < itemTtl;
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
