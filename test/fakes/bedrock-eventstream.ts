import { crc32 } from 'node:zlib';

/**
 * The `application/vnd.amazon.eventstream` framing Bedrock uses for
 * `invoke-with-response-stream`: `[u32 total][u32 headers length][u32 crc32 of the first 8 bytes]
 * [headers][payload][u32 crc32 of everything before]`, big-endian; each header is
 * `[u8 name length][name][u8 type = 7 (string)][u16 value length][value]`.
 */

const STRING_HEADER = 7;

function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const head = Buffer.alloc(1 + nameBytes.length + 1 + 2);
    head.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(head, 1);
    head.writeUInt8(STRING_HEADER, 1 + nameBytes.length);
    head.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    parts.push(head, valueBytes);
  }
  return Buffer.concat(parts);
}

export function encodeFrame(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerBytes = encodeHeaders(headers);
  const total = 12 + headerBytes.length + payload.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headerBytes.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  headerBytes.copy(frame, 12);
  payload.copy(frame, 12 + headerBytes.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

/** One `chunk` event carrying one Anthropic stream event, as Bedrock sends it. */
export function encodeChunk(event: unknown): Buffer {
  const bytes = Buffer.from(JSON.stringify(event), 'utf8').toString('base64');
  return encodeFrame(
    { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify({ bytes }), 'utf8'),
  );
}

export interface DecodedFrame {
  headers: Record<string, string>;
  payload: Buffer;
}

/** Decode frames, checking both CRCs (for tests of the encoder). Throws on a corrupt frame. */
export function decodeFrames(data: Buffer): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  let offset = 0;
  while (offset < data.length) {
    const total = data.readUInt32BE(offset);
    const headersLength = data.readUInt32BE(offset + 4);
    const frame = data.subarray(offset, offset + total);
    if (frame.readUInt32BE(8) !== crc32(frame.subarray(0, 8))) throw new Error('[bedrock] bad prelude crc');
    if (frame.readUInt32BE(total - 4) !== crc32(frame.subarray(0, total - 4))) {
      throw new Error('[bedrock] bad message crc');
    }
    frames.push({
      headers: decodeHeaders(frame.subarray(12, 12 + headersLength)),
      payload: frame.subarray(12 + headersLength, total - 4),
    });
    offset += total;
  }
  return frames;
}

function decodeHeaders(bytes: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes.readUInt8(at);
    const name = bytes.subarray(at + 1, at + 1 + nameLength).toString('utf8');
    at += 1 + nameLength;
    const type = bytes.readUInt8(at);
    if (type !== STRING_HEADER) throw new Error(`[bedrock] unsupported header type ${type}`);
    const valueLength = bytes.readUInt16BE(at + 1);
    headers[name] = bytes.subarray(at + 3, at + 3 + valueLength).toString('utf8');
    at += 3 + valueLength;
  }
  return headers;
}
