export * from './types.js';
export { FileRefusedError, type FileRefusal } from './errors.js';
export { isFileId, newFileId, parseFileId } from './ids.js';
export { ingestFile, type IngestInput, type IngestedFile } from './ingest.js';
export { assertAccepted, describeKind, formatBytes, type FileFacts } from './policy.js';
export { mimeFor, nameForContent, sniffBytes, sniffFile, type Sniffed } from './kinds.js';
export { createLocalFileStore } from './local.js';
export { materializeFiles } from './materialize.js';
// createS3FileStore is imported from './s3.js' directly, so local use never loads the AWS SDK.
export { createMemoryFileStore, type MemoryFileState } from './memory.js';
export { MAX_NAME_BYTES, isSanitizedName, sanitizeFileName } from './names.js';
export { conversationFilesDir, tenantFilesPrefix, workspacePath } from './paths.js';
