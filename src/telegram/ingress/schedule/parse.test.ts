import { describe, expect, it } from 'vitest';
import { parseAddWords } from './parse.js';

describe('parseAddWords', () => {
  it('reads a rate, a cron with a time zone, and the flag', () => {
    expect(parseAddWords('db every 15m Check the database')).toEqual({
      name: 'db',
      newTopic: false,
      when: { every: '15m' },
      prompt: 'Check the database',
    });
    expect(parseAddWords('db every 2 hours UTC Check\nall of it')).toEqual({
      name: 'db',
      newTopic: false,
      when: { every: '2 hours' },
      timezone: 'UTC',
      prompt: 'Check\nall of it',
    });
    expect(parseAddWords('morning --new-topic 0 9 * * 1-5 Europe/Berlin Summarise the alarms')).toEqual({
      name: 'morning',
      newTopic: true,
      when: { cron: '0 9 * * 1-5' },
      timezone: 'Europe/Berlin',
      prompt: 'Summarise the alarms',
    });
  });

  it('takes a word that is not a zone as the prompt', () => {
    expect(parseAddWords('x every 1d Daily report please')).toMatchObject({
      prompt: 'Daily report please',
    });
    expect(parseAddWords('x every 1d utc report')).toMatchObject({ timezone: 'UTC', prompt: 'report' });
  });

  it('says what is missing', () => {
    expect(parseAddWords('')).toEqual({ problem: 'the schedule needs a name.' });
    expect(parseAddWords('x')).toMatchObject({
      problem: expect.stringMatching(/say when it runs/) as string,
    });
    expect(parseAddWords('x every')).toMatchObject({ problem: expect.stringMatching(/how often/) as string });
    expect(parseAddWords('x 0 9 * *')).toMatchObject({
      problem: expect.stringMatching(/5 fields/) as string,
    });
    expect(parseAddWords('x every 15m')).toMatchObject({
      problem: expect.stringMatching(/needs a prompt/) as string,
    });
    expect(parseAddWords('x 0 9 * * * Europe/Berlin')).toMatchObject({
      problem: expect.stringMatching(/needs a prompt/) as string,
    });
  });
});
