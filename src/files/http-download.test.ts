import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openDownload, READ_BUFFER_BYTES, type Download } from './http-download.js';

/** A raw TCP server answering every connection with `respond` (full control of the bytes). */
async function rawServer(
  respond: (socket: Socket, request: string) => void,
): Promise<{ url: URL; server: Server }> {
  const server = createServer((socket) => {
    let request = '';
    socket.on('data', (d) => {
      request += d.toString('latin1');
      if (request.includes('\r\n\r\n')) respond(socket, request);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/file/bot123:abc/documents/file_1.log?x=1`), server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(respond: (socket: Socket, request: string) => void): Promise<URL> {
  const { url, server } = await rawServer(respond);
  servers.push(server);
  return url;
}

/** Reads the body, copying each chunk (the views share one buffer). */
async function readAll(download: Download): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of download.body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) % 251));
const signal = (): AbortSignal => AbortSignal.timeout(10_000);

describe('openDownload', () => {
  it('sends a plain GET for the path and query, and reads a Content-Length body exactly', async () => {
    const body = bytes(3 * READ_BUFFER_BYTES + 123);
    let seen = '';
    const url = await serve((socket, request) => {
      seen = request;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-A: 1\r\n\r\n`);
      socket.end(body);
    });
    const download = await openDownload(url, signal());
    expect(download.status).toBe(200);
    expect(download.length).toBe(body.length);
    expect(download.headers.get('x-a')).toBe('1');
    expect((await readAll(download)).equals(body)).toBe(true);
    expect(seen).toMatch(/^GET \/file\/bot123:abc\/documents\/file_1\.log\?x=1 HTTP\/1\.1\r\n/);
    expect(seen).toContain('Accept-Encoding: identity');
  });

  it('reuses one buffer: every chunk is a view of the same memory', async () => {
    const body = bytes(5 * READ_BUFFER_BYTES);
    const url = await serve((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.end(body);
    });
    const download = await openDownload(url, signal());
    const backings = new Set<ArrayBufferLike>();
    let total = 0;
    for await (const chunk of download.body) {
      backings.add(chunk.buffer);
      total += chunk.length;
    }
    expect(total).toBe(body.length);
    expect(backings.size).toBe(1);
  });

  it('decodes a chunked body whose chunk sizes, data and trailer are split across reads', async () => {
    const parts = [bytes(10), bytes(READ_BUFFER_BYTES + 5), bytes(1)];
    const wire = Buffer.concat([
      ...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)};ext=1\r\n`), p, Buffer.from('\r\n')]),
      Buffer.from('0\r\nX-Trailer: y\r\n\r\n'),
    ]);
    const url = await serve(async (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      // Seven-byte writes with pauses: every boundary lands mid-field somewhere.
      let i = 0;
      for (; i < 64; i += 7) {
        socket.write(wire.subarray(i, i + 7));
        await new Promise((r) => setTimeout(r, 2));
      }
      socket.end(wire.subarray(i));
    });
    const download = await openDownload(url, signal());
    expect(download.length).toBeUndefined();
    expect((await readAll(download)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('reads headers that arrive in pieces, with body bytes in the same read as their end', async () => {
    const body = bytes(1000);
    const url = await serve(async (socket) => {
      const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(head.subarray(0, 10));
      await new Promise((r) => setTimeout(r, 20));
      socket.write(Buffer.concat([head.subarray(10), body.subarray(0, 100)]));
      await new Promise((r) => setTimeout(r, 20));
      socket.end(body.subarray(100));
    });
    expect((await readAll(await openDownload(url, signal()))).equals(body)).toBe(true);
  });

  it('reads until the server closes when there is neither a length nor chunking', async () => {
    const body = bytes(70_000);
    const url = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      socket.end(body);
    });
    expect((await readAll(await openDownload(url, signal()))).equals(body)).toBe(true);
  });

  it('fails a body cut halfway, saying how much arrived', async () => {
    const url = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
      socket.end(bytes(40_000));
    });
    const download = await openDownload(url, signal());
    await expect(readAll(download)).rejects.toThrow(/closed after 40000 bytes of the body \(of 100000\)/);
  });

  it('fails a chunked body that ends before its last chunk', async () => {
    const url = await serve((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    });
    await expect(readAll(await openDownload(url, signal()))).rejects.toThrow(/closed after 5 bytes/);
  });

  it('gives up on a stalled body when the signal fires', async () => {
    const url = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
      socket.write(bytes(1000)); // and nothing more
    });
    const download = await openDownload(url, AbortSignal.timeout(300));
    await expect(readAll(download)).rejects.toThrow();
  });

  it('answers the status of a refusal and closes without reading', async () => {
    const url = await serve((socket) =>
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot Found'),
    );
    const download = await openDownload(url, signal());
    expect(download.status).toBe(404);
    download.close();
  });

  it.each([
    ['a status line that is not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1\.1 response/],
    [
      'a malformed Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n',
      /malformed Content-Length/,
    ],
    [
      'an unknown transfer encoding',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      /unsupported transfer encoding/,
    ],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n', /malformed response header/],
  ])('refuses %s', async (_what, response, error) => {
    const url = await serve((socket) => socket.end(response));
    await expect(openDownload(url, signal())).rejects.toThrow(error);
  });

  it('refuses endless headers', async () => {
    const url = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      socket.end(`X-Long: ${'a'.repeat(40_000)}\r\n\r\n`);
    });
    await expect(openDownload(url, signal())).rejects.toThrow(/headers too long/);
  });

  it('fails a chunked body with a malformed chunk size', async () => {
    const url = await serve((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    );
    const download = await openDownload(url, signal()).catch((err: Error) => err);
    const outcome = download instanceof Error ? download : await readAll(download).catch((err: Error) => err);
    expect(String(outcome)).toMatch(/malformed chunk size/);
  });

  it('refuses other protocols before connecting', async () => {
    await expect(openDownload(new URL('file:///etc/passwd'), signal())).rejects.toThrow(
      /unsupported protocol/,
    );
  });

  it('a closed connection is refused before a response', async () => {
    const url = await serve((socket) => socket.destroy());
    await expect(openDownload(url, signal())).rejects.toThrow(/closed before the response/);
  });
});
