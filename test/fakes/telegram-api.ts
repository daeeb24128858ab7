import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Chat, ChatMember, Update, UserFromGetMe } from 'grammy/types';
import { apiError, FakeApiError, type ApiError } from './telegram-errors.js';
import {
  createFakeFiles,
  type FakeFile,
  type FakeFileContent,
  type FakeFileOptions,
} from './telegram-files.js';
import { createMessageStore, type StoredMessage } from './telegram-messages.js';
import { createRateLimiter, maxInWindow, type RateLimiter, type RateLimitOptions } from './telegram-rate.js';

export type { ApiError } from './telegram-errors.js';
export type { StoredMessage } from './telegram-messages.js';
export type { FakeFile, FakeFileContent, FakeFileOptions } from './telegram-files.js';
export type { RateLimitOptions } from './telegram-rate.js';

/**
 * A fake Telegram Bot API on 127.0.0.1 for tests: `POST /bot<token>/<method>` with JSON,
 * urlencoded or multipart bodies (parsed tolerantly: Node 20's `formData()` rejects grammY's
 * multipart header). Records every call. `getUpdates` long-polls a queue the test pushes into.
 * `sendMessage` behaves like Telegram where it matters: 4096-character limit, empty text refused,
 * MarkdownV2 validated for unescaped reserved characters, and the test can make it refuse a parse
 * mode with Telegram's real "can't parse entities" 400. Any method can be told to fail next
 * (e.g. 429 with `retry_after`). The bot's messages are kept, so edits and deletions answer like
 * Telegram (`telegram-messages.ts`), and per-chat flood limits can be emulated (`telegram-rate.ts`).
 * Files the test registers (`addFile`) are answered by `getFile` and downloaded, streamed, from
 * `GET /file/bot<token>/<file_path>`, optionally failing or stalling halfway (`telegram-files.ts`);
 * `sendPhoto` / `sendDocument` uploads are recorded in `RecordedCall.files`.
 */
export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  /** Uploaded files of a multipart call, by field name (`attach://` references resolved). */
  files: Record<string, { filename: string; content: Buffer }>;
  /** Whether the fake answered ok. */
  ok: boolean;
  /** The error description when it did not. */
  error?: string;
  at: number;
}

export interface FakeTelegramApi {
  /** Pass as `client.apiRoot`. */
  readonly apiRoot: string;
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  readonly calls: RecordedCall[];
  /** Successful calls of one method. */
  callsTo(method: string): RecordedCall[];
  /** Texts of successful `sendMessage` calls (optionally of one chat/topic). */
  sentTexts(filter?: { chatId?: number; threadId?: number }): string[];
  pushUpdate(update: Update): void;
  /** Make `sendMessage` refuse matching calls with "can't parse entities: <reason>". */
  rejectParse(match: (params: Record<string, unknown>) => string | undefined): void;
  /** The next `times` calls of `method` fail with `error`. */
  failNext(method: string, error: ApiError, times?: number): void;
  /** Emulate Telegram's per-chat flood limits (429 with `retry_after`); undefined turns it off. */
  setRateLimit(limit: RateLimitOptions | undefined): void;
  /** The bot's messages in a chat as it shows them now (edited text, keyboard, deleted flag). */
  messages(chatId: number): StoredMessage[];
  /** The user deletes one of the bot's messages. */
  deleteByUser(chatId: number, messageId: number): void;
  /** Most successful calls of `methods` in one chat within any `windowMs` (default 1 s). */
  maxUpdatesPerWindow(chatId: number, methods: string[], windowMs?: number): number;
  /** Calls answered 429 (by `failNext` or the rate limit emulation). */
  rateLimited(): RecordedCall[];
  /** Register a file this bot may download; returns its ids (use them in a photo or document update). */
  addFile(content: FakeFileContent, options?: FakeFileOptions): FakeFile;
  /** Downloads started of a registered file. */
  downloads(fileId: string): number;
  /** Known chats for getChat / createForumTopic (`is_forum`) / message shapes. */
  setChat(chat: Chat.PrivateChat | Chat.GroupChat | Chat.SupergroupChat): void;
  setChatMember(chatId: number, member: ChatMember): void;
  /** Whether the bot may create topics (else "not enough rights"). */
  setCanManageTopics(value: boolean): void;
  waitFor(check: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const FAKE_TOKEN = '123456:TEST-token_abcdefghijklmnopqrstuv';

export async function startFakeTelegramApi(
  options: { token?: string; username?: string } = {},
): Promise<FakeTelegramApi> {
  const token = options.token ?? FAKE_TOKEN;
  const botInfo: UserFromGetMe = {
    id: Number(token.split(':')[0]),
    is_bot: true,
    first_name: 'OmniCloud Test Bot',
    username: options.username ?? 'omni_test_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
  } as UserFromGetMe;
  const calls: RecordedCall[] = [];
  let webhookUrl = '';
  const updates: Update[] = [];
  const pollers = new Set<() => void>();
  const parseRules: Array<(params: Record<string, unknown>) => string | undefined> = [];
  const failures = new Map<string, ApiError[]>();
  const chats = new Map<number, Chat>();
  const members = new Map<string, ChatMember>();
  let canManageTopics = true;
  const store = createMessageStore();
  const fakeFiles = createFakeFiles();
  let limiter: RateLimiter | undefined;
  let nextMessageId = 1000;
  let nextThreadId = 500;

  const chatOf = (id: number): Chat =>
    chats.get(id) ??
    (id > 0 ? { id, type: 'private', first_name: 'User' } : { id, type: 'supergroup', title: 'Group' });

  const message = (params: Record<string, unknown>, extra: Record<string, unknown>) => {
    const chatId = Number(params.chat_id);
    const threadId = params.message_thread_id === undefined ? undefined : Number(params.message_thread_id);
    return {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: chatOf(chatId),
      from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username },
      ...(threadId !== undefined ? { message_thread_id: threadId, is_topic_message: true } : {}),
      ...extra,
    };
  };

  const checkText = (p: Record<string, unknown>, text: string): void => {
    for (const rule of parseRules) {
      const reason = rule(p);
      if (reason) throw apiError(400, `Bad Request: can't parse entities: ${reason}`);
    }
    if (p.parse_mode === 'MarkdownV2') {
      const problem = markdownV2Problem(text);
      if (problem) throw apiError(400, `Bad Request: can't parse entities: ${problem}`);
    }
  };

  const methods: Record<string, (p: Record<string, unknown>, call: RecordedCall) => unknown> = {
    getMe: () => botInfo,
    sendMessage: (p) => {
      const text = typeof p.text === 'string' ? p.text : '';
      if (!text.trim()) throw apiError(400, 'Bad Request: message text is empty');
      if (text.length > 4096) throw apiError(400, 'Bad Request: message is too long');
      checkText(p, text);
      const sent = message(p, { text });
      store.sent(p, sent.message_id, text);
      return sent;
    },
    ...store.methods(checkText),
    sendChatAction: () => true,
    createForumTopic: (p) => {
      const chat = chatOf(Number(p.chat_id));
      if (!(chat.type === 'supergroup' && chat.is_forum))
        throw apiError(400, 'Bad Request: the chat is not a forum');
      if (!canManageTopics) throw apiError(400, 'Bad Request: not enough rights to create a topic');
      return { message_thread_id: nextThreadId++, name: String(p.name), icon_color: 7322096 };
    },
    sendDocument: (p, call) => {
      const file = call.files.document;
      if (!file) throw apiError(400, 'Bad Request: there is no document in the request');
      return message(p, {
        document: { file_id: `file-${nextMessageId}`, file_unique_id: 'u', file_name: file.filename },
        ...(typeof p.caption === 'string' ? { caption: p.caption } : {}),
      });
    },
    sendPhoto: (p, call) => {
      const file = call.files.photo;
      if (!file) throw apiError(400, 'Bad Request: there is no photo in the request');
      if (file.content.length > 10 * 1024 * 1024)
        throw apiError(400, 'Bad Request: PHOTO_INVALID_DIMENSIONS');
      const size = { file_id: `photo-${nextMessageId}`, file_unique_id: 'p', width: 1, height: 1 };
      return message(p, { photo: [size], ...(typeof p.caption === 'string' ? { caption: p.caption } : {}) });
    },
    getFile: (p) => fakeFiles.getFile(p),
    leaveChat: () => true,
    getChat: (p) => {
      const chat = chats.get(Number(p.chat_id));
      if (!chat) throw apiError(400, 'Bad Request: chat not found');
      return chat;
    },
    getChatMember: (p) =>
      members.get(`${p.chat_id}:${p.user_id}`) ?? {
        status: 'member',
        user: { id: Number(p.user_id), is_bot: false, first_name: 'User' },
      },
    setWebhook: (p) => {
      webhookUrl = String(p.url ?? '');
      return true;
    },
    getWebhookInfo: () => ({ url: webhookUrl, pending_update_count: 0 }),
    deleteWebhook: () => true,
    setMyCommands: () => true,
    deleteMyCommands: () => true,
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error_code: 500, description: String(err) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && fakeFiles.serve(req, res, token)) return;
    const match = /^\/bot([^/]+)\/([A-Za-z]+)/.exec(req.url ?? '');
    const body = await readBody(req);
    if (!match || match[1] !== token) {
      send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }
    const method = match[2] as string;
    const { params, files } = parseParams(req.headers['content-type'] ?? '', body, req.url ?? '');
    const call: RecordedCall = { method, params, files, ok: false, at: Date.now() };
    calls.push(call);
    const queued = failures.get(method);
    const failure = queued?.shift();
    if (failure) {
      call.error = failure.description;
      send(res, failure.error_code, { ok: false, ...failure });
      return;
    }
    const limited = limiter?.check(method, Number(params.chat_id), call.at);
    if (limited) {
      call.error = limited.description;
      send(res, 429, { ok: false, ...limited });
      return;
    }
    if (method === 'getUpdates') {
      const result = await longPoll(params, req);
      call.ok = true;
      send(res, 200, { ok: true, result });
      return;
    }
    const impl = methods[method];
    if (!impl) {
      call.error = 'Not Found: method not found';
      send(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
      return;
    }
    try {
      const result = impl(params, call);
      call.ok = true;
      send(res, 200, { ok: true, result });
    } catch (err) {
      if (!(err instanceof FakeApiError)) throw err;
      call.error = err.body.description;
      send(res, err.body.error_code, { ok: false, ...err.body });
    }
  }

  async function longPoll(params: Record<string, unknown>, req: IncomingMessage): Promise<Update[]> {
    const offset = Number(params.offset ?? 0);
    const limit = Number(params.limit ?? 100);
    const timeoutMs = Number(params.timeout ?? 0) * 1000;
    while (updates.length > 0 && (updates[0] as Update).update_id < offset) updates.shift();
    if (updates.length === 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          pollers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        pollers.add(done);
        req.socket.once('close', done);
      });
    }
    return updates.filter((u) => u.update_id >= offset).slice(0, limit);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botInfo,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method && c.ok),
    sentTexts: (filter = {}) =>
      calls
        .filter((c) => c.method === 'sendMessage' && c.ok)
        .filter((c) => filter.chatId === undefined || Number(c.params.chat_id) === filter.chatId)
        .filter(
          (c) => filter.threadId === undefined || Number(c.params.message_thread_id) === filter.threadId,
        )
        .map((c) => String(c.params.text)),
    pushUpdate(update) {
      updates.push(update);
      for (const wake of [...pollers]) wake();
    },
    rejectParse: (rule) => void parseRules.push(rule),
    failNext(method, error, times = 1) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) list.push(error);
      failures.set(method, list);
    },
    setRateLimit: (limit) => void (limiter = limit ? createRateLimiter(limit) : undefined),
    messages: (chatId) => store.of(chatId),
    deleteByUser: (chatId, messageId) => store.deleteByUser(chatId, messageId),
    maxUpdatesPerWindow: (chatId, methods, windowMs = 1000) =>
      maxInWindow(
        calls
          .filter((c) => c.ok && methods.includes(c.method) && Number(c.params.chat_id) === chatId)
          .map((c) => c.at),
        windowMs,
      ),
    rateLimited: () => calls.filter((c) => !c.ok && /^Too Many Requests/.test(c.error ?? '')),
    addFile: (content, options) => fakeFiles.add(content, options),
    downloads: (fileId) => fakeFiles.downloads.get(fileId) ?? 0,
    setChat: (chat) => void chats.set(chat.id, chat),
    setChatMember: (chatId, member) => void members.set(`${chatId}:${member.user.id}`, member),
    setCanManageTopics: (value) => void (canManageTopics = value),
    async waitFor(check, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error('fake telegram: waitFor timed out');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      for (const wake of [...pollers]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseParams(
  contentType: string,
  body: Buffer,
  url: string,
): { params: Record<string, unknown>; files: RecordedCall['files'] } {
  const files: RecordedCall['files'] = {};
  if (contentType.includes('multipart/form-data')) {
    const params = parseMultipart(contentType, body, files);
    // Resolve `attach://<field>` references to the field that named them.
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string' && value.startsWith('attach://')) {
        const file = files[value.slice('attach://'.length)];
        if (file) files[name] = file;
      }
    }
    return { params, files };
  }
  if (contentType.includes('application/json') && body.length > 0) {
    return { params: JSON.parse(body.toString('utf8')) as Record<string, unknown>, files };
  }
  const query = new URLSearchParams(
    contentType.includes('urlencoded') ? body.toString('utf8') : (url.split('?')[1] ?? ''),
  );
  return { params: Object.fromEntries(query), files };
}

function parseMultipart(
  contentType: string,
  body: Buffer,
  files: RecordedCall['files'],
): Record<string, unknown> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  const params: Record<string, unknown> = {};
  if (!boundary) return params;
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length, next);
    start = next;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    const name = /(?:^|[;\s])name="([^"]*)"/i.exec(headers)?.[1];
    if (!name) continue;
    // grammY writes `filename=<name>` unquoted; browsers quote it.
    const fileMatch = /filename=(?:"([^"]*)"|([^;\r\n]*))/i.exec(headers);
    const filename = fileMatch ? (fileMatch[1] ?? fileMatch[2] ?? '').trim() : undefined;
    if (filename !== undefined) files[name] = { filename, content: Buffer.from(content) };
    else {
      const text = content.toString('utf8');
      try {
        params[name] = /^[[{]/.test(text) ? JSON.parse(text) : text;
      } catch {
        params[name] = text;
      }
    }
  }
  return params;
}

const RESERVED = new Set('_*[]()~`>#+-=|{}.!'.split(''));
const MARKERS = new Set('_*~|'.split(''));

/**
 * A light MarkdownV2 check with Telegram's rules that matter most: every reserved character outside
 * code and link URLs is escaped or a formatting marker; code spans/blocks and links are closed.
 * Returns Telegram's wording for the first problem, or undefined.
 */
export function markdownV2Problem(text: string): string | undefined {
  let i = 0;
  let brackets = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (text.startsWith('```', i)) {
      const end = text.indexOf('```', i + 3);
      if (end === -1) return `can't find end of pre entity at byte offset ${i}`;
      i = end + 3;
      continue;
    }
    if (ch === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== '`') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return `can't find end of code entity at byte offset ${i}`;
      i = j + 1;
      continue;
    }
    if (ch === '[') brackets++;
    else if (ch === ']') {
      if (brackets === 0) return `character ']' is reserved and must be escaped with the preceding '\\'`;
      brackets--;
      if (text[i + 1] === '(') {
        let j = i + 2;
        while (j < text.length && text[j] !== ')') j += text[j] === '\\' ? 2 : 1;
        if (j >= text.length) return `can't find end of a url at byte offset ${i}`;
        i = j + 1;
        continue;
      }
    } else if (ch === '>' && (i === 0 || text[i - 1] === '\n')) {
      // blockquote marker
    } else if (RESERVED.has(ch) && !MARKERS.has(ch)) {
      return `Character '${ch}' is reserved and must be escaped with the preceding '\\'`;
    }
    i++;
  }
  if (brackets > 0) return `can't find end of text_link entity`;
  return undefined;
}
