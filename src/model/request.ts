import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { OmniError } from '../core/errors.js';
import type { MessagesRequestBody } from './types.js';

/** Parsing and recording of incoming Messages API requests (shared by the Anthropic and Bedrock fakes). */

const contentBlock = z.looseObject({ type: z.string() });
const message = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(contentBlock)]),
});
const toolDefinition = z.looseObject({ name: z.string(), defer_loading: z.boolean().optional() });

const messagesBody = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message),
  system: z.union([z.string(), z.array(contentBlock)]).optional(),
  // Server tools without a name are kept out rather than failing the whole request.
  tools: z
    .array(z.unknown())
    .transform((tools) => tools.flatMap((t) => toolDefinition.safeParse(t).data ?? []))
    .optional(),
  stream: z.boolean().optional(),
  max_tokens: z.number().optional(),
});

/** Thrown when a request body is not a Messages API body; becomes a 400 `invalid_request_error`. */
export class InvalidRequestBodyError extends OmniError {
  constructor(message: string) {
    super('invalid_request_body', `[model] invalid request body: ${message}`, { status: 400 });
  }
}

export function parseMessagesBody(raw: string): MessagesRequestBody {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidRequestBodyError('not JSON');
  }
  const parsed = messagesBody.safeParse(json);
  if (!parsed.success) throw new InvalidRequestBodyError(z.prettifyError(parsed.error));
  return parsed.data;
}

const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'x-amz-security-token', 'cookie']);

/** Flatten headers and mask secrets: `x-api-key: [masked]`, `authorization: <scheme> [masked]`. */
export function maskHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const flat = Array.isArray(value) ? value.join(', ') : value;
    out[name] = SECRET_HEADERS.has(name) ? maskSecret(name, flat) : flat;
  }
  return out;
}

function maskSecret(name: string, value: string): string {
  if (name !== 'authorization') return '[masked]';
  const scheme = value.split(' ')[0] ?? '';
  return scheme ? `${scheme} [masked]` : '[masked]';
}

export async function readBody(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** About four characters per token, at least one. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}
