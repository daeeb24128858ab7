/**
 * The offline model: a local Anthropic Messages API for the real `claude` binary, with a
 * deterministic demo model as the default handler. See `README.md` for the demo grammar.
 */
export {
  startModelServer,
  type ModelServer,
  type ModelServerOptions,
  type TextDeltaWritten,
} from './server.js';
export { demoModel, DEMO_LABEL, attachmentsLine } from './demo-model.js';
export { parseDemoCommand, STREAM_WORDS_MIN, STREAM_WORDS_MAX, type DemoCommand } from './demo-commands.js';
export { textReply, toolUseReply, errorReply, dropReply, delayReply, replyQueue } from './replies.js';
export {
  userTexts,
  toolNames,
  systemText,
  systemMessagesText,
  isSubagentRequest,
  isDeferredTool,
  humanText,
  toolResultText,
  attachmentsOf,
  type Attachments,
} from './transcript-view.js';
export { encodeSseEvent, parseSse, type SseFrame } from './sse.js';
export { writeSseEvents, type SseWriteOptions, type SseWriteResult } from './sse-writer.js';
export {
  streamEvents,
  isTextDelta,
  messageJson,
  partialStreamEvents,
  errorResponse,
  errorType,
  resolveReply,
  newMessageId,
  type StreamEvent,
  type RenderMeta,
} from './render.js';
export {
  parseMessagesBody,
  maskHeaders,
  readBody,
  estimateTokens,
  InvalidRequestBodyError,
} from './request.js';
export { listen, closeServer, clientGone, sendJson, urlHost } from './http.js';
export type * from './types.js';
