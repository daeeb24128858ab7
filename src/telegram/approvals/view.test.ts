import { describe, expect, it } from 'vitest';
import type { ApprovalId } from '../../approvals/types.js';
import { approvalOutcomeView, approvalRequestView, escapeMarkdownV2, outcomeLine, plainOf } from './view.js';

const shown = {
  id: 'AAAAAAAAAAAAAAAAAAAAAA' as ApprovalId,
  tool: 'Bash',
  summary: 'echo `id` \\ *x* > /tmp/f_1.txt',
  grantRule: 'Bash(echo *)',
  expiresAt: Date.UTC(2026, 11, 1, 22, 40),
};
const now = Date.UTC(2026, 11, 1, 22, 10);

describe('approval message', () => {
  it('shows the tool, the summary in a code block (escaped), the grant rule and the expiry, with 3 buttons', () => {
    const view = approvalRequestView(shown, now);
    expect(view.text).toContain('*Bash*');
    expect(view.text).toContain('```\necho \\`id\\` \\\\ *x* > /tmp/f_1.txt\n```');
    expect(view.text).toContain('`Bash(echo *)` until /new\\.');
    expect(view.text).toContain('22:40 UTC \\(in 30 min\\)');
    const buttons = view.keyboard.inline_keyboard
      .flat()
      .map((b) => [b.text, 'callback_data' in b ? b.callback_data : '']);
    expect(buttons).toEqual([
      ['✅ Allow once', `ap:${shown.id}:o`],
      ['❌ Deny', `ap:${shown.id}:d`],
      ['✅ Allow in this conversation', `ap:${shown.id}:c`],
    ]);
  });

  it('words every outcome, escaping names', () => {
    expect(outcomeLine({ status: 'allow_once', by: 'Ann_B' })).toBe('✅ Allowed once by Ann\\_B');
    expect(outcomeLine({ status: 'allow_conversation', by: 'Ann', grantRule: 'Bash(ls *)' })).toBe(
      '✅ Allowed in this conversation by Ann — `Bash(ls *)` until /new',
    );
    expect(outcomeLine({ status: 'deny', by: 'Ann' })).toBe('❌ Denied by Ann');
    expect(plainOf(outcomeLine({ status: 'superseded' }))).toBe('↩️ Not run: a new message came instead.');
    expect(plainOf(outcomeLine({ status: 'expired' }))).toBe('⌛ Expired — not run.');
    expect(plainOf(outcomeLine({ status: 'unavailable', reason: 'already decided.' }))).toBe(
      '⚠️ Not run: already decided.',
    );
  });

  it('has a plain fallback that keeps escaped characters and drops only the markup', () => {
    const text = approvalOutcomeView(shown, { status: 'deny', by: 'a*b' });
    expect(plainOf(text)).toBe(
      'The agent asked to run Bash:\necho `id` \\ *x* > /tmp/f_1.txt\n\n❌ Denied by a*b',
    );
    expect(escapeMarkdownV2('a.b!')).toBe('a\\.b\\!');
  });
});
