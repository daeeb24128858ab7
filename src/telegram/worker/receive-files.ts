import { GrammyError, type Api } from 'grammy';
import type { ConversationKey } from '../../core/keys.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { FileRefusedError } from '../../files/errors.js';
import { openDownload, type Download } from '../../files/http-download.js';
import { ingestFile } from '../../files/ingest.js';
import type { FilePolicy, FileStore, StoredFile } from '../../files/types.js';
import type { TelegramAttachment } from '../../queue/types.js';

/** The files a Telegram worker receives and sends: the durable store and each tenant's policy. */
export interface WorkerFiles {
  store: FileStore;
  /** The tenant's policy (tenants file `files`, else `DEFAULT_FILE_POLICY`). */
  policy: (tenant: string) => FilePolicy;
  /** Longest a download may take, `getFile` included (default 60 s). */
  downloadTimeoutMs?: number;
}

export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

/** One attachment that did not arrive: what the user calls it, and a sentence saying why. */
export interface NotReceived {
  name: string;
  /** Names the file itself (`"app.log" is larger than 20 MB…`, `the photo: the download timed out`). */
  text: string;
}

export interface ReceiveInput {
  api: Api;
  files: WorkerFiles;
  key: ConversationKey;
  /** The conversation's folder on this machine (`AgentRunner.filesDir`). */
  dir: string;
  attachments: readonly TelegramAttachment[];
  signal?: AbortSignal;
  logger: Logger;
}

/**
 * Downloads a message's photos and documents from the Bot API, one after another, each streamed
 * straight into `ingestFile` (the conversation's folder and the durable store; never buffered
 * whole) under a timeout. A file the tenant's policy refuses, or one that cannot be downloaded
 * (after one retry on a server or network error), is reported in `missing` and leaves nothing
 * behind (`ingestFile` removes what it wrote). Never throws for a single file.
 *
 * Downloads are not retried through the queue: a retry would download the files that did arrive
 * again, and hold up the conversation for a file the user can simply send again.
 */
export async function receiveFiles(
  input: ReceiveInput,
): Promise<{ stored: StoredFile[]; missing: NotReceived[] }> {
  const stored: StoredFile[] = [];
  const missing: NotReceived[] = [];
  const policy = input.files.policy(input.key.tenant);
  for (const attachment of input.attachments) {
    const name = displayName(attachment);
    try {
      stored.push(await receiveWithRetry(input, attachment, policy));
    } catch (err) {
      input.logger.warn('telegram: attachment not received', {
        kind: attachment.kind,
        size: attachment.size,
        error: errorMessage(err),
      });
      missing.push({ name, text: describe(name, err) });
    }
  }
  return { stored, missing };
}

/** How a user knows the file: a document's own name, else "the photo" / "the document". */
export function displayName(attachment: TelegramAttachment): string {
  if (attachment.name) return `"${attachment.name}"`;
  return attachment.kind === 'photo' ? 'the photo' : 'the document';
}

async function receiveWithRetry(
  input: ReceiveInput,
  attachment: TelegramAttachment,
  policy: FilePolicy,
): Promise<StoredFile> {
  try {
    return await receiveOne(input, attachment, policy);
  } catch (err) {
    if (!(err instanceof DownloadError) || !err.retryable || input.signal?.aborted) throw err;
    await new Promise((resolve) => setTimeout(resolve, 500));
    return receiveOne(input, attachment, policy);
  }
}

async function receiveOne(
  input: ReceiveInput,
  attachment: TelegramAttachment,
  policy: FilePolicy,
): Promise<StoredFile> {
  const timeout = AbortSignal.timeout(input.files.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
  const download = await fetchFile(input.api, attachment.fileId, signal);
  try {
    const { file } = await ingestFile(input.files.store, {
      key: input.key,
      direction: 'in',
      name: attachment.name,
      fallbackName: attachment.kind === 'photo' ? 'photo.jpg' : 'document',
      body: download.body,
      policy,
      dir: input.dir,
      signal,
    });
    return file;
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    // The tenant's policy (size, kind) refused it: no retry will change that.
    if (err instanceof FileRefusedError && err.reason !== 'download_failed') throw err;
    if (timeout.aborted) throw new DownloadError('the download timed out', false, err);
    const cause = err instanceof FileRefusedError ? err.cause : err;
    throw new DownloadError(`the download failed (${errorMessage(cause)})`, true, err);
  } finally {
    download.close();
  }
}

/**
 * `getFile`, then the file's bytes from `<apiRoot>/file/bot<token>/<file_path>`, read into one
 * reused buffer (`openDownload`): a 20 MB file costs the worker 64 KB, not 20 MB of short-lived
 * buffers (docs/benchmarks.md §9).
 */
async function fetchFile(api: Api, fileId: string, signal: AbortSignal): Promise<Download> {
  let path: string | undefined;
  try {
    path = (await api.getFile(fileId, signal as Parameters<Api['getFile']>[1])).file_path;
  } catch (err) {
    if (err instanceof GrammyError) {
      throw new DownloadError(`Telegram refused it (${err.description})`, err.error_code >= 500, err);
    }
    throw new DownloadError(`Telegram could not be reached (${errorMessage(err)})`, !signal.aborted, err);
  }
  if (!path) throw new DownloadError('Telegram gave no download path for it', false);
  const root = api.options?.apiRoot ?? 'https://api.telegram.org';
  let response: Download;
  try {
    response = await openDownload(new URL(`${root}/file/bot${api.token}/${path}`), signal);
  } catch (err) {
    throw new DownloadError(
      signal.aborted ? 'the download timed out' : 'the download failed',
      !signal.aborted,
      err,
    );
  }
  const status = response.status;
  if (status < 200 || status >= 300) {
    response.close();
    throw new DownloadError(`the download failed (HTTP ${status})`, status >= 500);
  }
  return response;
}

/** A file could not be fetched from the Bot API. `retryable`: a server or network error. */
class DownloadError extends FileRefusedError {
  constructor(
    message: string,
    readonly retryable: boolean,
    cause?: unknown,
  ) {
    super('download_failed', `[telegram:worker] ${message}`, {}, cause === undefined ? {} : { cause });
  }
}

/** The user's line for a file that did not arrive (policy refusals already name the file). */
function describe(name: string, err: unknown): string {
  if (err instanceof DownloadError) return `${name}: ${err.message.replace('[telegram:worker] ', '')}`;
  if (err instanceof FileRefusedError) return err.message;
  return `${name}: it could not be stored`;
}
