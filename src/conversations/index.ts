/** Conversation management (issue 17): sessions, settings, export and delete over the stores. */
export { ConversationError, type ConversationErrorCode } from './errors.js';
export {
  createConversationService,
  DEFAULT_SESSIONS_SHOWN,
  type ConversationServiceDeps,
} from './service.js';
export type * from './types.js';
export { renderTranscriptMarkdown, type ExportMeta, type TranscriptForExport } from './markdown/index.js';
export {
  planImport,
  runImport,
  type ImportDeps,
  type ImportOutcome,
  type ImportPlan,
  type ImportProgress,
} from './import.js';
export { MAX_IMPORT_BYTES, readTranscript, type TranscriptSource } from './import-file.js';
