import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';

/** One session's transcripts for export (replaced by the full renderer). */
export interface TranscriptForExport {
  sessionId: string;
  transcripts: Array<{ subpath: string | null; entries: SessionStoreEntry[] }>;
  meta?: {
    tenant?: string;
    chat?: string;
    thread?: string;
    title?: string;
    createdAt?: number;
    updatedAt?: number;
    turns?: number;
    costUsd?: number;
    model?: string | null;
  };
}

export function renderTranscriptMarkdown(input: TranscriptForExport): string {
  return `# Session ${input.sessionId}\n`;
}
