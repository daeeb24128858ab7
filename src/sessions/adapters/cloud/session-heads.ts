import type { SessionId, TenantId } from '../../../core/ids.js';
import type { TranscriptAddress } from '../../../core/keys.js';
import type { HeadStore } from './head.js';
import { headIdentity, headSk, sessionPk, type HeadItem } from './schema.js';

/**
 * Where a transcript store gets heads from. The SDK resumes a session with `load(main)`,
 * `listSubkeys()` and one `load(sub)` per subagent stream — naively 2 + N DynamoDB reads.
 *
 * A store bound to a lease (`fenced`) reads every head of the session with one Query at its first
 * `load(main)` and answers the rest from that snapshot, kept in step with its own commits. That is
 * exact for as long as the lease is held: every writer of a session's heads holds its
 * conversation's lease (turns, the API's delete), so nothing else can commit meanwhile — and if the
 * lease was lost, this store's own writes are refused anyway. After any conflict or unknown
 * outcome the snapshot is dropped and heads are read again. An unfenced store always reads.
 */
export interface SessionHeads {
  /** The current head of `addr` (`null`: the stream was never written). */
  head(addr: TranscriptAddress): Promise<HeadItem | null>;
  /**
   * The partition a new stream of `addr` is created in (after `head(addr)` found none): a subagent
   * stream goes where its session's heads live (a session found at the legacy `pk` = tenant stays
   * there); a main stream — the first of a session, the SDK writes it before any subagent's — to the
   * session's own partition.
   */
  partition(addr: TranscriptAddress): Promise<string>;
  /** Subpaths of the session's streams. */
  subpaths(tenant: TenantId, sessionId: SessionId): Promise<string[]>;
  /** This store committed `head` (or compacted into it). */
  committed(addr: TranscriptAddress, head: HeadItem): void;
  /** Something may have changed that we did not see: read again from now on. */
  forget(): void;
}

export function createSessionHeads(heads: HeadStore, fenced: boolean): SessionHeads {
  let snapshot: { tenant: TenantId; sessionId: SessionId; bySk: Map<string, HeadItem> } | null = null;
  const covers = (tenant: TenantId, sessionId: SessionId): boolean =>
    snapshot !== null && snapshot.tenant === tenant && snapshot.sessionId === sessionId;

  return {
    async head(addr) {
      if (fenced && addr.subpath === undefined && !covers(addr.tenant, addr.sessionId)) {
        const bySk = await heads.readSession(addr.tenant, addr.sessionId);
        snapshot = { tenant: addr.tenant, sessionId: addr.sessionId, bySk };
      }
      if (snapshot && covers(addr.tenant, addr.sessionId)) return snapshot.bySk.get(headSk(addr)) ?? null;
      return heads.read(addr);
    },
    async partition(addr) {
      const own = sessionPk(addr.tenant, addr.sessionId);
      if (snapshot && covers(addr.tenant, addr.sessionId)) {
        const [first] = snapshot.bySk.values();
        return first?.pk ?? own;
      }
      // A main stream is the session's first: `head` found it at neither key, so the session is new.
      if (addr.subpath === undefined || !heads.legacy) return own;
      return (await heads.locate(addr.tenant, addr.sessionId))?.pk ?? own;
    },
    async subpaths(tenant, sessionId) {
      const sks = covers(tenant, sessionId)
        ? [...snapshot!.bySk.keys()]
        : ((await heads.locate(tenant, sessionId))?.sks ?? []);
      return sks.map((sk) => headIdentity(sk).subpath).filter((s) => s !== '');
    },
    committed(addr, head) {
      if (snapshot && covers(addr.tenant, addr.sessionId)) snapshot.bySk.set(headSk(addr), head);
    },
    forget() {
      snapshot = null;
    },
  };
}
