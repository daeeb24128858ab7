import { describe, expect, it } from 'vitest';
import { isForBot, parseCommand } from './parse-command.js';
import { agentPrompt } from '../commands.js';
import { parseCommandsConfig } from '../config.js';
import { ConfigError } from '../../core/errors.js';

describe('parseCommand', () => {
  it('parses names with dashes, @bot suffixes and arguments', () => {
    expect(parseCommand('/hello-world')).toEqual({ name: 'hello-world', args: '' });
    expect(parseCommand('/NewChat@Omni_Bot  why?\nmore')).toEqual({
      name: 'newchat',
      target: 'Omni_Bot',
      args: 'why?\nmore',
    });
    expect(parseCommand('/x@a b')).toEqual({ name: 'x', target: 'a', args: 'b' });
    expect(parseCommand('hello /start')).toBeUndefined();
    expect(parseCommand('/start!')).toBeUndefined();
  });

  it('matches the bot name case-insensitively', () => {
    const command = parseCommand('/help@OMNI_test_bot');
    expect(command && isForBot(command, 'omni_test_bot')).toBe(true);
    const other = parseCommand('/help@someone_else_bot');
    expect(other && isForBot(other, 'omni_test_bot')).toBe(false);
  });
});

describe('commands config', () => {
  it('accepts agent and static commands', () => {
    const config = parseCommandsConfig({
      commands: {
        'hello-world': { type: 'agent', description: 'Hi' },
        report: { type: 'agent', description: 'Report', prompt: 'Write a report about {args}.' },
        about: { type: 'static', description: 'About', text: 'v1' },
      },
    });
    expect(Object.keys(config)).toEqual(['hello-world', 'report', 'about']);
    expect(agentPrompt('report', 'Write a report about {args}.', 'costs')).toBe(
      'Write a report about costs.',
    );
    expect(agentPrompt('hello-world', undefined, '')).toBe('Use the skill "hello-world".');
  });

  it('names every problem: bad names, built-ins, wrong fields', () => {
    try {
      parseCommandsConfig({
        commands: {
          new: { type: 'static', description: 'x', text: 'y' },
          'Bad Name': { type: 'agent', description: 'x' },
        },
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.field)).toEqual(['commands.new', 'commands.Bad Name']);
    }
    expect(() => parseCommandsConfig({ commands: { x: { type: 'shell', description: 'x' } } })).toThrow(
      ConfigError,
    );
  });
});

describe('agent command prompts', () => {
  it('refuses a template with more than one {args} (its expansion could exceed the queue limit)', () => {
    expect(() =>
      parseCommandsConfig({ commands: { x: { type: 'agent', description: 'X', prompt: '{args} {args}' } } }),
    ).toThrow(/commands\.x\.prompt.*at most once/s);
  });
});
