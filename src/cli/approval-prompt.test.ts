import { describe, expect, it } from 'vitest';
import type { PendingApproval } from '../approvals/types.js';
import { formatPendingApproval, parseApprovalAnswer } from './approval-prompt.js';

describe('approval prompt', () => {
  it('y / a / n in any case and with spaces; anything else is no answer', () => {
    expect(['y', ' Y ', 'a', 'A', 'n', 'N\t'].map(parseApprovalAnswer)).toEqual([
      'allow_once',
      'allow_once',
      'allow_conversation',
      'allow_conversation',
      'deny',
      'deny',
    ]);
    expect(['', 'yes', 'no', 'ya', '1', '/exit'].map(parseApprovalAnswer)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('shows what the model wrote without terminal control sequences, keeps line breaks, says when it expires', () => {
    const pending: PendingApproval = {
      id: 'q3Z0mX8cVb1Lr7tWn5cHyA' as PendingApproval['id'],
      tool: 'Bash',
      input: {},
      summary: 'cat <<EOF > f\r\n\u001b[2Jhello\nEOF',
      grant_rule: 'Bash(cat *)',
      expires_at: '2026-12-01T22:30:00.000Z',
    };
    expect(formatPendingApproval(pending, Date.parse('2026-12-01T22:00:00Z'))).toBe(
      [
        '⏸  The agent wants to run Bash:',
        '     cat <<EOF > f',
        '      [2Jhello',
        '     EOF',
        '   "always in this conversation" allows: Bash(cat *)',
        '   decide before 2026-12-01T22:30:00.000Z (in 30 min) · id q3Z0mX8cVb1Lr7tWn5cHyA',
      ].join('\n'),
    );
    expect(formatPendingApproval(pending, Date.parse('2026-12-01T23:00:00Z'))).toContain('(expired)');
  });
});
