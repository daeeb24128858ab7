import type { ApprovalRecord } from '../../approvals/types.js';
import type { ConversationKey } from '../../core/keys.js';
import { Page } from '../layout.js';
import type { ChatTurn } from '../render/turn-read.js';
import { TurnView } from '../render/turn-view.js';
import { ApprovalView } from './chat-approval.js';

export interface ConversationPageProps {
  conversation: ConversationKey;
  csrfToken: string;
  turns: readonly ChatTurn[];
  /** Approval requests of the conversation still waiting for a decision. */
  pending: readonly ApprovalRecord[];
  /** The last answer as an HTML fragment (`/chat/:chat/:thread/answer`). */
  answerPath: string;
  chooserPath: string;
}

/**
 * One conversation: its turns so far, approvals waiting, then the message box. The client script
 * (`client/pages/chat.ts`) reads the conversation from `#chat`'s data attributes and appends live
 * turns to `#turns`; without it the page still reads as the transcript.
 */
export function ConversationPage(props: ConversationPageProps) {
  const { conversation: key } = props;
  return (
    <Page
      title={`Chat ${key.chat}/${key.thread}`}
      page="chat"
      tenant={key.tenant}
      csrfToken={props.csrfToken}
    >
      <div
        id="chat"
        class="chat"
        data-tenant={key.tenant}
        data-chat={key.chat}
        data-thread={key.thread}
        data-answer={props.answerPath}
      >
        <header class="chat-head">
          <h1>
            Chat <code>{key.chat}</code> / <code>{key.thread}</code>
          </h1>
          <a href={props.chooserPath}>Other conversations</a>
        </header>
        <section id="turns" class="turns" aria-label="Conversation">
          {props.turns.length === 0 ? (
            <p class="empty">No messages yet. Say something to start the conversation.</p>
          ) : null}
          {props.turns.map((turn) => (
            <TurnView turn={turn} />
          ))}
          {props.pending.map((record) => (
            <ApprovalView record={record} />
          ))}
        </section>
        <p id="chat-status" class="chat-status" role="status"></p>
        <form id="composer" class="composer">
          <label for="message">Message</label>
          <textarea id="message" name="user_message" rows={3} required maxlength={100000}></textarea>
          <ul id="chips" class="chips" aria-label="Files to send"></ul>
          <div class="composer-actions">
            <label for="files" class="file-pick">
              Attach files
            </label>
            <input id="files" type="file" multiple class="file-input" />
            <button id="stop" type="button" class="danger" hidden>
              Stop
            </button>
            <button id="send" type="submit" class="primary">
              Send
            </button>
          </div>
          <p id="composer-hint" class="hint">
            Enter sends, Shift+Enter starts a new line. Drop files on the conversation to attach them.
          </p>
        </form>
      </div>
    </Page>
  );
}
