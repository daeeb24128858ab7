import { stat } from 'node:fs/promises';
import { errorMessage, FilesUnavailableError } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import { materializeFiles } from '../files/materialize.js';
import { workspacePath } from '../files/paths.js';
import type { FileStore, StoredFile } from '../files/types.js';

/**
 * The conversation's files on this machine before a turn runs, where the agent was told they are
 * (`<cwd>/files/<chat>/<thread>/<id>/<name>`). The workspace is per container and disposable; the
 * file store is the truth, and `materializeFiles` (one listing) brings back what is missing.
 *
 * A turn in a live process that ran the conversation's previous turn here (the warm pool's lease
 * token check) skips the listing: every file of the conversation reaches the store either before a
 * turn (a message's attachments, which that turn names) or during one (`send_file`), so nothing
 * the agent was told of can have been added elsewhere since. Only the turn's own attachments are
 * checked then (one `stat` each), since another container may have received them.
 */

export interface TurnFilesInput {
  store: FileStore;
  key: ConversationKey;
  /** The conversation's folder in this machine's workspace (`conversationFilesDir`). */
  dir: string;
  /** The files sent with the turn's messages (all parts). */
  attachments: readonly StoredFile[];
  /** The turn runs in the live process that ran the conversation's previous turn on this machine. */
  warm: boolean;
}

/** What was done, for the turn's log line. */
export type TurnFilesOutcome = { action: 'none' | 'checked' | 'materialized'; files: number; ms: number };

/** Throws `FilesUnavailableError` if the store fails or an attachment is not in it. */
export async function prepareTurnFiles(
  input: TurnFilesInput,
  now: () => number = Date.now,
): Promise<TurnFilesOutcome> {
  const started = now();
  const done = (action: TurnFilesOutcome['action'], files: number): TurnFilesOutcome => ({
    action,
    files,
    ms: now() - started,
  });
  try {
    if (input.warm) {
      if (input.attachments.length === 0) return done('none', 0);
      if (await allPresent(input.attachments, input.dir)) return done('checked', input.attachments.length);
    }
    const files = await materializeFiles(input.store, input.key, input.dir);
    const stored = new Set(files.map((f) => f.id));
    const missing = input.attachments.filter((a) => !stored.has(a.id));
    if (missing.length > 0) {
      throw new FilesUnavailableError(
        `[agent:files] ${missing.map((f) => f.name).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the file store`,
      );
    }
    return done('materialized', files.length);
  } catch (err) {
    if (err instanceof FilesUnavailableError) throw err;
    throw new FilesUnavailableError(
      `[agent:files] the conversation's files could not be brought into the workspace: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

async function allPresent(files: readonly StoredFile[], dir: string): Promise<boolean> {
  const present = await Promise.all(
    files.map((file) =>
      stat(workspacePath(dir, file)).then(
        (s) => s.isFile() && s.size === file.size,
        () => false,
      ),
    ),
  );
  return present.every(Boolean);
}
