/** The agent HTTP API: one Hono app, auth, and its error vocabulary. */
export { createApiApp, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CHAT_BODY_BYTES, type ApiAppDeps } from './app.js';
export {
  assertApiAuthConfig,
  assertTenantAllowed,
  constantTimeEqual,
  createApiAuth,
  createIamAuth,
  createTokenAuth,
  tenantScopeFromEnv,
  weakTokenProblem,
  type ApiAuth,
  type ApiPrincipal,
  type AuthInput,
  type TenantScope,
  type TokenGrant,
} from './auth.js';
export type { ApiEnv } from './context.js';
export {
  ApiError,
  errorReply,
  forbidden,
  unauthorized,
  type ApiErrorBody,
  type ApiFieldIssue,
} from './errors.js';
export { approvalJson } from './routes/approval-list.js';
export { APPROVAL_REQUEST, type ApprovalReader } from './routes/approvals.js';
export { CHAT_REQUEST, MAX_ATTACHMENTS, acceptsEventStream, type ChatRequest } from './routes/chat.js';
export { FILE_FIELD } from './routes/chat-body.js';
export {
  apiTurnResult,
  downloadPath,
  type ApiFile,
  type ApiListedFile,
  type ApiTurnResult,
} from './files-json.js';
export type { StopRequester } from './routes/stop.js';
export { DEFAULT_SSE_HEARTBEAT_MS, SSE_HEARTBEAT, sseEventData } from './turn-stream.js';
