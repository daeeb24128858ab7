/** The parts of a turn's result (`POST /v1/chat`, `POST /v1/approvals/:id`) the chat page shows. */
export interface PendingApprovalView {
  id: string;
  tool: string;
  summary: string;
  grant_rule: string;
  expires_at: string;
}

export interface SentFileView {
  name: string;
  size: number;
  download: string;
}

export interface TurnResultView {
  response: string;
  is_error: boolean;
  error_message: string | null;
  error_code: string | null;
  cost_usd: number;
  duration_ms: number;
  model: string | null;
  pending_approval?: PendingApprovalView;
  files: SentFileView[];
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The result event's JSON, read defensively (fields of the wrong type become empty). */
export function readResult(json: unknown): TurnResultView {
  const r = obj(json);
  const pending = r['pending_approval'] === undefined ? undefined : obj(r['pending_approval']);
  const files = Array.isArray(r['files']) ? r['files'].map(obj) : [];
  return {
    response: str(r['response']),
    is_error: r['is_error'] === true,
    error_message: typeof r['error_message'] === 'string' ? r['error_message'] : null,
    error_code: typeof r['error_code'] === 'string' ? r['error_code'] : null,
    cost_usd: num(r['cost_usd']),
    duration_ms: num(r['duration_ms']),
    model: typeof r['model'] === 'string' ? r['model'] : null,
    ...(pending
      ? {
          pending_approval: {
            id: str(pending['id']),
            tool: str(pending['tool']),
            summary: str(pending['summary']),
            grant_rule: str(pending['grant_rule']),
            expires_at: str(pending['expires_at']),
          },
        }
      : {}),
    // Only the API's own download paths become links.
    files: files
      .map((f) => ({ name: str(f['name'], 'file'), size: num(f['size']), download: str(f['download']) }))
      .filter((f) => f.download.startsWith('/v1/conversations/')),
  };
}

/** The message of an API error body (`{ error: { message, issues } }`), or a fallback. */
export function errorMessage(json: unknown, fallback: string): string {
  const error = obj(obj(json)['error']);
  const message = str(error['message'], fallback);
  const issues = Array.isArray(error['issues']) ? error['issues'].map(obj) : [];
  const details = issues.map((i) => `${str(i['path'])}: ${str(i['message'])}`).filter((s) => s !== ': ');
  return details.length > 0 ? `${message} (${details.join('; ')})` : message;
}

/** `1.2 KB`, `3.4 MB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
