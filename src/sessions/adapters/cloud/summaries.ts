import type { foldSessionSummary, SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { StorageError } from '../../../core/errors.js';
import type { HeadItem } from './schema.js';

type Fold = typeof foldSessionSummary;

let foldPromise: Promise<Fold> | undefined;
/** The SDK is imported on the first append of a main transcript only, so reads stay light. */
function loadFold(): Promise<Fold> {
  foldPromise ??= import('@anthropic-ai/claude-agent-sdk').then((sdk) => sdk.foldSessionSummary);
  return foldPromise;
}

/**
 * The SDK's session summary after `stored` (the entries as stored) were appended to the main
 * transcript whose head is `head`, stamped with the head's new `mtime`. Kept in the head (a few
 * hundred bytes of JSON) so `listSessionSummaries` is one Query; the update sends it only when the
 * folded data changed.
 */
export async function foldSummary(
  head: HeadItem | null,
  key: SessionKey,
  stored: SessionStoreEntry[],
  mtime: number,
): Promise<string> {
  let fold: Fold;
  try {
    fold = await loadFold();
  } catch (err) {
    throw new StorageError('[sessions:cloud] could not load foldSessionSummary from the Agent SDK', {
      cause: err,
    });
  }
  const prev =
    head?.summary === undefined
      ? undefined
      : {
          sessionId: key.sessionId,
          mtime: head.mtime,
          data: JSON.parse(head.summary) as Record<string, unknown>,
        };
  return JSON.stringify(
    fold(prev, { projectKey: key.projectKey, sessionId: key.sessionId }, stored, { mtime }).data,
  );
}
