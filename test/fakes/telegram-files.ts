import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiError } from './telegram-errors.js';

/** The Bot API's download limit: `getFile` refuses larger files ("file is too big"). */
export const FAKE_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** A file's bytes: held once (`Buffer`), or produced on every download (a 20 MB file is never held). */
export type FakeFileContent = Buffer | (() => AsyncIterable<Uint8Array>);

export interface FakeFileOptions {
  fileId?: string;
  fileUniqueId?: string;
  /** Declared size (default: the buffer's length; required for a generator). */
  size?: number;
  /** Break the connection after this many bytes of the download (a download failing halfway). */
  failAfter?: number;
  /** Stop sending after this many bytes and never finish (a download stalling halfway). */
  stallAfter?: number;
  /** Answer the download with this HTTP status instead of the bytes. */
  status?: number;
}

export interface FakeFile {
  fileId: string;
  fileUniqueId: string;
  size: number;
  filePath: string;
}

export interface FakeFiles {
  /** Register a file the bot may download (`getFile` + `GET /file/bot<token>/<file_path>`). */
  add(content: FakeFileContent, options?: FakeFileOptions): FakeFile;
  /** `getFile` as the Bot API answers it (400 for an unknown id or a file over 20 MB). */
  getFile(params: Record<string, unknown>): unknown;
  /** Serve a download: `true` when `path` was a file route (answered), else `false`. */
  serve(req: IncomingMessage, res: ServerResponse, token: string): boolean;
  /** Downloads started, by file id. */
  readonly downloads: ReadonlyMap<string, number>;
}

let counter = 0;

/** The file side of the fake Bot API: registered files, `getFile`, and streamed downloads. */
export function createFakeFiles(): FakeFiles {
  const byId = new Map<string, { file: FakeFile; content: FakeFileContent; options: FakeFileOptions }>();
  const byPath = new Map<string, string>();
  const downloads = new Map<string, number>();
  return {
    downloads,
    add(content, options = {}) {
      counter++;
      const size = options.size ?? (Buffer.isBuffer(content) ? content.length : undefined);
      if (size === undefined) throw new Error('fake telegram: a generated file needs its size');
      const file: FakeFile = {
        fileId: options.fileId ?? `BQACAgIAAxkBAAI${counter}`,
        fileUniqueId: options.fileUniqueId ?? `AgAD${counter}`,
        size,
        filePath: `documents/file_${counter}`,
      };
      byId.set(file.fileId, { file, content, options });
      byPath.set(file.filePath, file.fileId);
      return file;
    },
    getFile(params) {
      const entry = byId.get(String(params.file_id));
      if (!entry) throw apiError(400, 'Bad Request: invalid file_id');
      if (entry.file.size > FAKE_DOWNLOAD_LIMIT) throw apiError(400, 'Bad Request: file is too big');
      const { fileId, fileUniqueId, size, filePath } = entry.file;
      return { file_id: fileId, file_unique_id: fileUniqueId, file_size: size, file_path: filePath };
    },
    serve(req, res, token) {
      const match = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
      if (!match) return false;
      const id = match[1] === token ? byPath.get(match[2] as string) : undefined;
      const entry = id !== undefined ? byId.get(id) : undefined;
      if (!entry) {
        res.writeHead(404).end('Not Found');
        return true;
      }
      downloads.set(entry.file.fileId, (downloads.get(entry.file.fileId) ?? 0) + 1);
      if (entry.options.status !== undefined) {
        res.writeHead(entry.options.status).end('error');
        return true;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(entry.file.size),
      });
      void stream(res, entry.content, entry.options).catch(() => res.destroy());
      return true;
    },
  };
}

/** Writes the bytes with backpressure, breaking or stalling where the options say. */
async function stream(
  res: ServerResponse,
  content: FakeFileContent,
  options: FakeFileOptions,
): Promise<void> {
  const chunks: AsyncIterable<Uint8Array> = Buffer.isBuffer(content) ? slices(content) : content();
  const stopAt = options.failAfter ?? options.stallAfter ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  for await (const chunk of chunks) {
    const part = chunk.subarray(0, Math.max(0, stopAt - sent));
    if (part.length > 0 && !res.write(part)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
    sent += part.length;
    if (res.destroyed) return;
    if (sent >= stopAt) {
      if (options.failAfter !== undefined) res.destroy();
      return; // stalled: the connection stays open until the client gives up
    }
  }
  res.end();
}

async function* slices(buffer: Buffer): AsyncIterable<Uint8Array> {
  for (let i = 0; i < buffer.length; i += 64 * 1024) yield buffer.subarray(i, i + 64 * 1024);
}
