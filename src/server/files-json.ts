import type { TurnResult } from '../agent/types.js';
import type { ConversationKey } from '../core/keys.js';
import type { FileId, FileKind, SentFile, StoredFile } from '../files/types.js';

/** Where a conversation's file is downloaded: `/v1/conversations/<tenant>/<chat>/<thread>/files/<id>`. */
export function downloadPath(key: ConversationKey, id: FileId): string {
  return `/v1/conversations/${key.tenant}/${key.chat}/${key.thread}/files/${id}`;
}

/** A file as the API shows it: no storage details, a download path under the caller's own routes. */
export interface ApiFile {
  id: FileId;
  name: string;
  size: number;
  mime: string;
  kind: FileKind;
  caption?: string;
  download: string;
}

/** A file in a conversation's listing: also who sent it (`in`: a user, `out`: the agent) and when. */
export interface ApiListedFile extends ApiFile {
  direction: StoredFile['direction'];
  created_at: string;
}

export function fileJson(file: SentFile): ApiFile {
  return {
    id: file.id,
    name: file.name,
    size: file.size,
    mime: file.mime,
    kind: file.kind,
    ...(file.caption !== undefined ? { caption: file.caption } : {}),
    download: downloadPath(file.key, file.id),
  };
}

export function listedFileJson(file: StoredFile): ApiListedFile {
  return { ...fileJson(file), direction: file.direction, created_at: new Date(file.createdAt).toISOString() };
}

/** A turn's result as `POST /v1/chat` (and a decision) answer it: the agent's files as download links. */
export type ApiTurnResult = Omit<TurnResult, 'files'> & { files?: ApiFile[] };

export function apiTurnResult(result: TurnResult): ApiTurnResult {
  const { files, ...rest } = result;
  return files === undefined ? rest : { ...rest, files: files.map(fileJson) };
}
