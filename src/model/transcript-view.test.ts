import { describe, expect, it } from 'vitest';
import { isSubagentRequest, systemText, toolNames, userTexts } from './transcript-view.js';
import type { MessagesRequestBody } from './types.js';

const body: MessagesRequestBody = {
  system: [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332;' },
    { type: 'text', text: 'You are helpful.' },
  ],
  tools: [{ name: 'Bash' }, { name: 'mcp__a__b', defer_loading: true }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>\ninjected\n</system-reminder>' },
        { type: 'text', text: 'typed by a human' },
      ],
    },
    { role: 'system', content: 'The following skills are available …' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Bash', input: {} }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't', content: 'output' },
        { type: 'text', text: 'Tool loaded.' },
      ],
    },
    { role: 'user', content: [{ type: 'text', text: '<system-reminder>only injected</system-reminder>' }] },
    { role: 'user', content: 'plain string' },
  ],
};

describe('transcript view', () => {
  it('returns only human-typed user texts', () => {
    expect(userTexts({ body })).toEqual(['typed by a human', 'plain string']);
  });

  it('reads the prompt the binary sends in the tool-result message of an interrupted call (and only that)', () => {
    const interrupted: MessagesRequestBody = {
      messages: [
        { role: 'user', content: 'call tool Bash {"command":"sleep 30"}' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Bash', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't', content: 'stopped while running', is_error: true },
            { type: 'text', text: '[Request interrupted by user for tool use]\n' },
            { type: 'text', text: '<message_time>2026-12-01T20:15:39.786Z</message_time>' },
            { type: 'text', text: 'are you there?' },
          ],
        },
      ],
    };
    expect(userTexts({ body: interrupted })).toEqual([
      'call tool Bash {"command":"sleep 30"}',
      'are you there?',
    ]);
  });

  it("leaves out the runner's sender and reply block: the human typed only the text", () => {
    const group: MessagesRequestBody = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '<message_time>2026-12-01T20:15:39.786Z</message_time>' },
            {
              type: 'text',
              text: '<message_from name="Alice" id="1"/>\n<reply_to from="Bob" id="2">disk at 91%</reply_to>',
            },
            { type: 'text', text: 'is prod down?' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: '<reply_to from_assistant="true">ok</reply_to>' },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    };
    expect(userTexts({ body: group })).toEqual(['is prod down?', 'thanks']);
  });

  it('lists tools and the system prompt', () => {
    expect(toolNames({ body })).toEqual(['Bash', 'mcp__a__b']);
    expect(systemText({ body })).toBe('x-anthropic-billing-header: cc_version=2.1.332;\n\nYou are helpful.');
    expect(isSubagentRequest({ body })).toBe(false);
    expect(systemText({ body: { messages: [], system: 'plain' } })).toBe('plain');
  });
});
