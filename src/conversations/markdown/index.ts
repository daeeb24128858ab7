/** Conversations as documents for people: a session's transcripts rendered as Markdown (issue 17). */
export {
  renderTranscriptMarkdown,
  formatTime,
  type ExportMeta,
  type RenderOptions,
  type TranscriptForExport,
} from './render.js';
export { TOOL_SUMMARY_MAX_CHARS, TOOL_TEXT_MAX_CHARS } from './folded.js';
