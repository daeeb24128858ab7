import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { parseFileId } from '../../files/ids.js';
import type { FileStore } from '../../files/types.js';
import type { ApiEnv } from '../context.js';
import { downloadHeaders } from '../download-headers.js';
import { notFound } from '../errors.js';
import { listedFileJson } from '../files-json.js';
import { conversationKeyOf as keyOf } from './conversation-key.js';

/**
 * A conversation's files, received (`in`) and sent by the agent (`out`):
 * `GET /v1/conversations/:tenant/:chat/:thread/files` lists them (oldest first, with download paths);
 * `GET …/files/:id` streams one file's bytes from the store (never buffered whole) as an attachment.
 * The tenant must be in the caller's scope (403 before anything is read, so no other tenant's file
 * or id is ever revealed); a malformed id is 400 `invalid_id`, an unknown one 404 `file_not_found`.
 */
export function fileRoutes(deps: { files: FileStore }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get('/:tenant/:chat/:thread/files', async (c) => {
    const key = keyOf(c);
    const files = await deps.files.list(key);
    return c.json({ files: files.map(listedFileJson) });
  });

  app.get('/:tenant/:chat/:thread/files/:id', async (c) => {
    const key = keyOf(c);
    const id = parseFileId(c.req.param('id'));
    const opened = await deps.files.open(key, id);
    if (!opened) throw notFound('file_not_found', 'no file with this id in this conversation');
    const body = Readable.toWeb(opened.body) as ReadableStream<Uint8Array>;
    return c.body(body, 200, downloadHeaders(opened.file));
  });

  return app;
}
