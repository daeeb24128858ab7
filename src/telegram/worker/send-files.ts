import { InputFile, type Api } from 'grammy';
import { sameConversation, type ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { FileStore, SentFile } from '../../files/types.js';
import { deliverWithRetry } from './deliver.js';
import type { ReplyTarget } from './reply.js';

/** Telegram's limit for a photo sent by a bot; larger images go as documents. */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/** Telegram's limit for a media caption. */
export const MAX_CAPTION = 1024;

/**
 * Sends the files the agent sent (`TurnResult.files`) to the chat after its answer: images up to
 * 10 MB as photos, everything else as documents, each with its caption, streamed from the durable
 * store (a retry opens the file again). Only files of `key` are sent: a result can never make
 * this conversation's bot send another conversation's (or tenant's) file. `true` when all arrived.
 */
export async function sendFiles(
  api: Api,
  store: FileStore,
  key: ConversationKey,
  target: ReplyTarget,
  files: readonly SentFile[],
  logger: Logger,
): Promise<boolean> {
  let all = true;
  for (const file of files) {
    if (!sameConversation(file.key, key)) {
      logger.error('telegram: a sent file of another conversation was not sent', { fileId: file.id });
      all = false;
      continue;
    }
    const options = {
      ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
      ...(file.caption ? { caption: clip(file.caption, MAX_CAPTION) } : {}),
    };
    const asPhoto = file.kind === 'image' && file.size <= MAX_PHOTO_BYTES;
    const sent = await deliverWithRetry(async () => {
      const opened = await store.open(key, file.id);
      if (!opened) throw new Error(`[telegram:worker] file ${file.id} is not in the store`);
      const input = new InputFile(opened.body, opened.file.name);
      return asPhoto
        ? api.sendPhoto(target.chatId, input, options)
        : api.sendDocument(target.chatId, input, options);
    }, logger);
    all &&= sent;
  }
  return all;
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
