import { exportConversation, toJsonl, transcriptFileName } from '../sessions/conversation-view.js';
import type { TranscriptExporter } from '../telegram/worker/types.js';
import type { AppDeps } from './types.js';

/** `/debug`: the conversation's transcripts as JSONL documents. */
export function transcriptExporter(app: AppDeps): TranscriptExporter {
  return async (key) => {
    const exported = await exportConversation(app.storage, key);
    if (!exported) return [];
    return exported.transcripts.flatMap((t) =>
      t.entries
        ? [{ filename: transcriptFileName(exported.sessionId, t.subpath), content: toJsonl(t.entries) }]
        : [],
    );
  };
}
