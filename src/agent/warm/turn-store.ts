import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { TranscriptStore } from '../../sessions/types.js';

/** What a live process stored during one turn. */
export interface TurnWrites {
  /**
   * `append()` calls the process made (main transcript and subagent streams), whether or not they
   * succeeded: any of them may have stored part of the turn.
   */
  appends: number;
  /** Entries appended to the main transcript, in order. */
  mainEntries: SessionStoreEntry[];
}

/**
 * The session store of a long-lived agent process. The SDK keeps one store for the life of the
 * process, but every write must be fenced by the lease of the turn that makes it: during a turn
 * appends go to that turn's `transcriptsFor(lease)`; between turns there is no lease, so an append
 * (the binary's `last-prompt`/`cost-state` batch when it exits) is dropped and reported — writing it
 * unfenced could interleave with another worker's turn. Dropping it loses nothing a later turn
 * needs: the per-turn cost is the difference of two totals read from the same `cost-state` entry.
 */
export interface ProcessStore {
  readonly store: TranscriptStore;
  /** Routes writes to `target` (the lease-fenced store of the turn) until `endTurn()`. */
  beginTurn(target: TranscriptStore): void;
  /** Stops routing writes, once every append of the turn has settled (none lands later). */
  endTurn(): Promise<TurnWrites>;
  /**
   * Entries of the main transcript known to be stored: loaded at resume plus appended since,
   * counted as the stores count them (an entry whose `uuid` is already stored is not stored again).
   */
  mainEntries(): number;
}

export function createProcessStore(
  base: TranscriptStore,
  onDropped: (key: SessionKey, entries: number) => void,
): ProcessStore {
  let target: TranscriptStore | undefined;
  let writes: TurnWrites = { appends: 0, mainEntries: [] };
  /** Main-transcript entries stored: those without a uuid, and one per distinct uuid. */
  let known = 0;
  const uuids = new Set<string>();
  const count = (entries: readonly SessionStoreEntry[]): void => {
    for (const entry of entries) {
      const uuid = typeof entry.uuid === 'string' ? entry.uuid : undefined;
      if (uuid === undefined) known++;
      else if (!uuids.has(uuid)) {
        uuids.add(uuid);
        known++;
      }
    }
  };
  const inFlight = new Set<Promise<void>>();
  const current = (): TranscriptStore => target ?? base;

  const store: TranscriptStore = {
    async append(key, entries) {
      const fenced = target;
      if (fenced === undefined) {
        onDropped(key, entries.length);
        return;
      }
      const turnWrites = writes;
      turnWrites.appends++;
      const write = fenced.append(key, entries);
      const settled = write.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      await write;
      if (key.subpath === undefined) {
        turnWrites.mainEntries.push(...entries);
        count(entries);
      }
    },
    async load(key) {
      const entries = await current().load(key);
      if (key.subpath === undefined) {
        known = 0;
        uuids.clear();
        count(entries ?? []);
      }
      return entries;
    },
    listSessions: (projectKey) => current().listSessions(projectKey),
    listSubkeys: (key) => current().listSubkeys(key),
    // A delete is a write like an append: fenced by the turn's lease, dropped between turns.
    async delete(key) {
      const fenced = target;
      if (fenced === undefined) {
        onDropped(key, 0);
        return;
      }
      writes.appends++;
      await fenced.delete(key);
    },
    stat: (key) => current().stat(key),
  };

  return {
    store,
    beginTurn(next) {
      target = next;
      writes = { appends: 0, mainEntries: [] };
    },
    async endTurn() {
      target = undefined;
      await Promise.all(inFlight);
      return writes;
    },
    mainEntries: () => known,
  };
}
