import { describe, expect, it } from 'vitest';
import { TURN_ERROR_CODES, type TurnErrorCode } from '../../agent/types.js';
import {
  FilesUnavailableError,
  LeaseConflictError,
  OmniError,
  SessionHistoryError,
  StorageError,
} from '../../core/errors.js';
import {
  FAILURE_CODES,
  failureCodeText,
  failureText,
  turnErrorText,
  type FailureCode,
} from './error-text.js';

const failed = (code: string): string =>
  `Sorry, I couldn't answer that message (${code}). Please try again in a moment.`;

/** The user-facing text of every turn error code (a new code must be added here and in the switch). */
const TURN_TEXTS: Record<TurnErrorCode, string> = {
  model_api_error: 'The AI model service returned an error. Please try again in a moment.',
  session_history_unavailable:
    "I can't load this conversation's history, so I didn't answer (I won't silently start over). " +
    'Send /new to start a fresh conversation.',
  history_not_persisted:
    "I couldn't save this turn to the conversation history, so it was discarded. Please try again.",
  turn_interrupted:
    'Your previous message was processed, but its reply was lost when the worker stopped. ' +
    'It is in the conversation history — ask again to get the answer.',
  turn_stopped: '⏹ Stopped. What the agent answered so far is kept in the conversation.',
  approval_unavailable:
    'That approval request can no longer be answered (already decided, expired or replaced), so nothing ran.',
  files_unavailable:
    "I couldn't get this conversation's files ready for the agent, so I didn't answer. Please send the message again in a moment.",
  budget_exceeded: failed('budget_exceeded'),
  turn_aborted: failed('turn_aborted'),
  agent_failed: failed('agent_failed'),
  agent_success: failed('agent_success'),
  agent_error_during_execution: failed('agent_error_during_execution'),
  agent_error_max_turns: failed('agent_error_max_turns'),
  agent_error_max_budget_usd: failed('agent_error_max_budget_usd'),
  agent_error_max_structured_output_retries: failed('agent_error_max_structured_output_retries'),
};

const FAILURE_TEXTS: Record<FailureCode, string> = {
  conversation_busy:
    'This conversation is still busy with an earlier message. Please wait a moment and try again.',
  fenced_write: failed('fenced_write'),
  storage_error: failed('storage_error'),
  storage_contention: failed('storage_contention'),
  storage_throttled: failed('storage_throttled'),
  storage_corrupt: failed('storage_corrupt'),
  queue_unavailable: failed('queue_unavailable'),
  invalid_config: failed('invalid_config'),
  invalid_id: failed('invalid_id'),
  invalid_usage: failed('invalid_usage'),
  internal_error: failed('internal_error'),
};

describe('turnErrorText', () => {
  it('lists exactly the codes the runner can emit', () => {
    expect(Object.keys(TURN_TEXTS).sort()).toEqual([...TURN_ERROR_CODES].sort());
  });

  it.each(TURN_ERROR_CODES.map((code) => [code]))('%s', (code) => {
    expect(turnErrorText(code)).toBe(TURN_TEXTS[code]);
  });

  it('tells a model API error in words, never as its code', () => {
    expect(turnErrorText('model_api_error')).not.toContain('model_api_error');
  });
});

describe('failureCodeText', () => {
  it.each(FAILURE_CODES.map((code) => [code]))('%s', (code) => {
    expect(failureCodeText(code)).toBe(FAILURE_TEXTS[code]);
  });
});

describe('failureText', () => {
  it('reads the code of the thrown error', () => {
    expect(failureText(new LeaseConflictError('[sessions] busy'))).toBe(FAILURE_TEXTS.conversation_busy);
    expect(failureText(new SessionHistoryError('[agent] gone'))).toBe(TURN_TEXTS.session_history_unavailable);
    expect(failureText(new FilesUnavailableError('[agent:files] store down'))).toBe(
      TURN_TEXTS.files_unavailable,
    );
    expect(failureText(new StorageError('[sessions:s3] down', { code: 'storage_throttled' }))).toBe(
      failed('storage_throttled'),
    );
  });

  it('names an unlisted OmniError code and calls anything else internal_error', () => {
    expect(failureText(new OmniError('something_new', '[x] new'))).toBe(failed('something_new'));
    expect(failureText(new Error('boom'))).toBe(failed('internal_error'));
  });
});
