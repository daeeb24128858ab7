import type { Context } from 'hono';
import { uploadFromBase64, uploadFromFile, type Upload } from '../attachments/upload.js';
import { ApiError } from '../errors.js';
import { readJson, validate } from '../validation.js';
import { CHAT_REQUEST, MAX_ATTACHMENT_NAME, MAX_ATTACHMENTS, type ChatRequest } from './chat-request.js';

/** A `POST /v1/chat` body: the message fields and the files sent with it, in order. */
export interface ChatBody {
  request: Omit<ChatRequest, 'attachments'>;
  uploads: Upload[];
}

/** The multipart part that carries a file (repeat it for several files). */
export const FILE_FIELD = 'file';

const invalid = (path: string, message: string): ApiError =>
  new ApiError(400, 'invalid_request', `invalid request body: ${path}`, [{ path, message }]);

/**
 * Reads `POST /v1/chat` (the body limit ran before): `multipart/form-data` — the message fields as
 * text fields plus `file` parts — or JSON, with files as base64 `attachments`. Either way the
 * fields are validated by `CHAT_REQUEST` (400 naming every failed field).
 */
export async function readChatBody(c: Context): Promise<ChatBody> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return readMultipart(c);
  const { attachments, ...request } = validate(CHAT_REQUEST, await readJson(c));
  const uploads = (attachments ?? []).map((a, i) => uploadFromBase64(`attachments.${i}`, a.name, a.data));
  return { request, uploads };
}

async function readMultipart(c: Context): Promise<ChatBody> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new ApiError(400, 'malformed_multipart', 'request body is not valid multipart/form-data');
  }
  const fields: Record<string, string> = {};
  const uploads: Upload[] = [];
  for (const [name, value] of form.entries()) {
    if (name === FILE_FIELD) {
      if (typeof value === 'string' || value.name === '')
        throw invalid(FILE_FIELD, 'must be a file part with a filename');
      // The JSON form's limit (`attachments[].name`), so both forms accept the same names.
      if (value.name.length > MAX_ATTACHMENT_NAME)
        throw invalid(FILE_FIELD, `the filename must be at most ${MAX_ATTACHMENT_NAME} characters`);
      uploads.push(uploadFromFile(FILE_FIELD, value));
      continue;
    }
    if (typeof value !== 'string')
      throw invalid(name, `unexpected file; send files as "${FILE_FIELD}" parts`);
    if (name === 'attachments')
      throw invalid(name, `send files as "${FILE_FIELD}" parts in a multipart body`);
    if (name in fields) throw invalid(name, 'given more than once');
    fields[name] = value;
  }
  if (uploads.length > MAX_ATTACHMENTS)
    throw invalid(FILE_FIELD, `at most ${MAX_ATTACHMENTS} files per message (got ${uploads.length})`);
  return { request: validate(CHAT_REQUEST, formFields(fields)), uploads };
}

/**
 * Text fields as the JSON body would have them: `stream` `true`/`false` (or `1`/`0`) as a boolean,
 * a numeric `message_time` (JSON number syntax) as epoch seconds (or ms), empty fields as absent.
 */
function formFields(fields: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === '' && name !== 'user_message') continue;
    out[name] = value;
  }
  const stream = fields['stream'];
  if (stream === 'true' || stream === '1') out['stream'] = true;
  if (stream === 'false' || stream === '0') out['stream'] = false;
  const time = fields['message_time'];
  // A number as JSON writes it (`1764633600`, `1.5`, `1e-7`), so any time a JSON body may carry can be sent.
  if (time !== undefined && /^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(time)) out['message_time'] = Number(time);
  return out;
}
