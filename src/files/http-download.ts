import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * An HTTP/1.1 GET whose body is read into ONE buffer, reused for every read (`onread` of `net`/
 * `tls`), for files that go straight to disk. Node's `http` and `fetch` allocate a new buffer per
 * read; V8 frees those lazily, so a 20 MB download grew the process's peak RSS by 27 MB (`http`)
 * to 61 MB (`fetch`), against 0.5 MB with one reused 64 KB buffer (measured on this machine, Node
 * 20; docs/benchmarks.md §9). The consumer must be done with a chunk before it asks for the next:
 * `ingestFile` writes each chunk before it reads on.
 *
 * Plain GET only: no redirects, no compression (`Accept-Encoding: identity`), one request per
 * connection. Bodies by `Content-Length`, `Transfer-Encoding: chunked` or until the server closes.
 * A connection that ends before the body is complete is an error (a download cut halfway).
 */
export interface Download {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: ReadonlyMap<string, string>;
  /** `Content-Length`, when the server sent one. */
  length: number | undefined;
  /** The body. Each chunk is a view of the shared buffer, valid until the next one is asked for. */
  body: AsyncIterable<Uint8Array>;
  /** Ends the connection (also when the body was not read). */
  close(): void;
}

/** The reused read buffer. */
export const READ_BUFFER_BYTES = 64 * 1024;
/** Most bytes of the status line and headers. */
const MAX_HEAD_BYTES = 32 * 1024;

export class DownloadProtocolError extends Error {}

export function openDownload(url: URL, signal: AbortSignal): Promise<Download> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new DownloadProtocolError(`unsupported protocol ${url.protocol}`));
  }
  return new Promise<Download>((resolve, reject) => {
    const buffer = Buffer.alloc(READ_BUFFER_BYTES);
    const decoder = new BodyDecoder();
    const views: Uint8Array[] = [];
    let head: Buffer | undefined = Buffer.alloc(0);
    let failure: Error | undefined;
    let finished = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const fail = (err: Error): void => {
      if (failure || finished) return;
      failure = err;
      if (head !== undefined) reject(err);
      notify();
    };

    const onRead = (n: number, chunk: Buffer): boolean => {
      let data = chunk.subarray(0, n);
      if (head !== undefined) {
        // Headers are small: copied until the blank line, then the rest of this read is body.
        const joined = Buffer.concat([head, data]);
        const end = joined.indexOf('\r\n\r\n');
        if (end > MAX_HEAD_BYTES || (end < 0 && joined.length > MAX_HEAD_BYTES)) {
          socket.destroy(new DownloadProtocolError('response headers too long'));
          return false;
        }
        if (end < 0) {
          head = joined;
          return true;
        }
        let parsed: ParsedHead;
        try {
          parsed = parseHead(joined.subarray(0, end).toString('latin1'));
          decoder.start(parsed);
        } catch (err) {
          socket.destroy(err as Error);
          return false;
        }
        head = undefined;
        const bodyStart = end + 4 - (joined.length - n);
        data = chunk.subarray(Math.max(0, bodyStart), n);
        // Body bytes that arrived in the copied head part (only if the head spanned reads).
        const early = bodyStart < 0 ? Buffer.from(joined.subarray(end + 4, joined.length - n)) : undefined;
        resolve({
          status: parsed.status,
          headers: parsed.headers,
          length: parsed.length,
          body: iterate(),
          close: () => socket.destroy(),
        });
        if (early) views.push(...decode(early));
      }
      try {
        views.push(...decode(data));
      } catch (err) {
        socket.destroy(err as Error);
        return false;
      }
      if (decoder.done) {
        finished = true;
        socket.destroy();
        notify();
        return false;
      }
      if (views.length === 0) return true;
      notify();
      return false; // paused until the consumer has taken every view of this read
    };
    const decode = (data: Uint8Array): Uint8Array[] => decoder.push(data);

    const options = {
      host: url.hostname,
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      onread: { buffer, callback: onRead },
    };
    const socket: Socket =
      url.protocol === 'https:' ? tlsConnect({ ...options, servername: url.hostname }) : netConnect(options);
    const request =
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      'User-Agent: omnicloud\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n';
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('error', (err) => fail(err));
    socket.on('close', () => {
      if (finished || failure) return;
      if (head === undefined && decoder.untilClose) {
        finished = true;
        notify();
        return;
      }
      fail(
        new DownloadProtocolError(
          head !== undefined
            ? 'the connection closed before the response'
            : `the connection closed after ${decoder.received} bytes of the body${decoder.expected ? ` (of ${decoder.expected})` : ''}`,
        ),
      );
    });
    const onAbort = (): void => {
      fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      socket.destroy();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', onAbort));

    async function* iterate(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          const view = views.shift();
          if (view !== undefined) {
            yield view;
            if (views.length === 0 && !finished && !failure) socket.resume();
            continue;
          }
          if (failure) throw failure;
          if (finished) return;
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      } finally {
        socket.destroy();
      }
    }
  });
}

interface ParsedHead {
  status: number;
  headers: Map<string, string>;
  length: number | undefined;
  chunked: boolean;
}

function parseHead(text: string): ParsedHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (!match)
    throw new DownloadProtocolError(`not an HTTP/1.1 response: ${JSON.stringify(statusLine.slice(0, 40))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new DownloadProtocolError('malformed response header');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = headers.get('transfer-encoding')?.toLowerCase();
  const chunked = encoding !== undefined && encoding.split(',').at(-1)?.trim() === 'chunked';
  if (encoding !== undefined && !chunked)
    throw new DownloadProtocolError(`unsupported transfer encoding ${encoding}`);
  const rawLength = headers.get('content-length');
  if (rawLength !== undefined && !/^\d{1,15}$/.test(rawLength)) {
    throw new DownloadProtocolError('malformed Content-Length');
  }
  return {
    status: Number(match[1]),
    headers,
    length: chunked || rawLength === undefined ? undefined : Number(rawLength),
    chunked,
  };
}

/**
 * The body of one response: by length, chunked, or until the connection closes. `push` returns
 * views of the given bytes (never copies of the body), in order.
 */
class BodyDecoder {
  received = 0;
  expected: number | undefined;
  done = false;
  untilClose = false;
  private chunked = false;
  /** Chunked: bytes left in the current chunk; -1 while reading a size line. */
  private left = -1;
  private line = '';
  /** Chunked: after a chunk's data, its CRLF; after the last chunk, the trailer. */
  private state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';

  start(head: ParsedHead): void {
    this.chunked = head.chunked;
    this.expected = head.length;
    this.untilClose = !head.chunked && head.length === undefined;
    // 1xx, 204 and 304 have no body; a GET is never answered 1xx without a final answer, and a
    // 204/304 to a file download is a failed download anyway: nothing to read.
    if (head.status === 204 || head.status === 304 || head.length === 0) this.done = true;
  }

  push(data: Uint8Array): Uint8Array[] {
    if (this.done || data.length === 0) return [];
    if (!this.chunked) {
      const take =
        this.expected === undefined ? data.length : Math.min(data.length, this.expected - this.received);
      this.received += take;
      if (this.expected !== undefined && this.received >= this.expected) this.done = true;
      return take > 0 ? [data.subarray(0, take)] : [];
    }
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < data.length && !this.done) {
      if (this.state === 'data') {
        const take = Math.min(this.left, data.length - i);
        out.push(data.subarray(i, i + take));
        this.received += take;
        this.left -= take;
        i += take;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      // Size lines, the CRLF after data and the trailer are read a character at a time.
      const c = String.fromCharCode(data[i] as number);
      i++;
      if (c !== '\n') {
        this.line += c;
        if (this.line.length > 1024) throw new DownloadProtocolError('malformed chunked body');
        continue;
      }
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'data-end') {
        if (line !== '') throw new DownloadProtocolError('malformed chunked body');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line);
        if (!size) throw new DownloadProtocolError('malformed chunk size');
        this.left = parseInt(size[1] as string, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.done = true; // the blank line after the trailer
      }
    }
    return out;
  }
}
