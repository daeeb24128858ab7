import type { ConversationKey } from '../../core/keys.js';
import { ingestFile } from '../../files/ingest.js';
import type { FilePolicy, FileStore, StoredFile } from '../../files/types.js';
import { ApiError } from '../errors.js';
import { assertAccepted } from '../../files/policy.js';
import type { Upload } from './upload.js';

/** What storing a message's files needs: the durable store, the turn ledger's answer and the runner's folder. */
export interface AttachmentDeps {
  files: FileStore;
  /** `AgentRunner.answered`: whether a request's turn is recorded as done. */
  answered: ((key: ConversationKey, requestId: string) => Promise<boolean>) | undefined;
  /** The conversation's workspace folder (`AgentRunner.filesDir`); absent: the runner takes no files. */
  filesDir: ((key: ConversationKey) => Promise<string>) | undefined;
}

/**
 * Stores the files of one message before its turn, in order, and returns them for
 * `TurnRequest.attachments`. Every file is checked against the tenant's policy first, so a refusal
 * (`FileRefusedError`: 400 empty, 413 too large, 415 kind not allowed) stores nothing and runs no turn.
 *
 * A retry of a message whose turn is already recorded (`requestId` `done` in the turn ledger)
 * stores nothing again: the runner answers it from the ledger without reading the files. A retry
 * while the first attempt's outcome is unknown (`started`) stores them again (the turn may run
 * again and must find them); the earlier copy then stays as an unreferenced file.
 */
export async function storeAttachments(
  deps: AttachmentDeps,
  key: ConversationKey,
  uploads: readonly Upload[],
  policy: FilePolicy,
  requestId: string | undefined,
): Promise<StoredFile[]> {
  if (uploads.length === 0) return [];
  for (const upload of uploads) {
    await assertAccepted({ name: upload.name, size: upload.size, head: await upload.head() }, policy);
  }
  if (requestId !== undefined && (await deps.answered?.(key, requestId)) === true) return [];
  if (!deps.filesDir) {
    throw new ApiError(501, 'attachments_unsupported', 'this deployment does not take files with a message');
  }
  const dir = await deps.filesDir(key);
  const stored: StoredFile[] = [];
  for (const upload of uploads) {
    const { file } = await ingestFile(deps.files, {
      key,
      direction: 'in',
      name: upload.name,
      body: upload.body(),
      policy,
      dir,
    });
    stored.push(file);
  }
  return stored;
}
