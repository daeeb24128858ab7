/**
 * Live replies: a turn's `TurnEvent`s shown in the chat as they happen (streamed answer as a draft
 * or an edited message, tool progress with a Stop button, stall notice, "typing…"), then the final
 * answer delivered exactly once.
 */
export { createLiveReply, type LiveReplyDeps } from './live-reply.js';
export { LIVE_DEFAULTS, type LiveOptions, type LiveReply } from './types.js';
export { finalTextOf, type FinalText } from './final-text.js';
