/**
 * The words of `/schedule add <name> [--new-topic] <when> [<time zone>] <prompt…>`, before any
 * checking of their values (the one schedule schema does that): `<when>` is `every 15m` (also
 * `every 15 minutes`) or 5 cron fields; a time zone is a token with `/` (`Europe/Berlin`) or `UTC`.
 */
export interface AddWords {
  name: string;
  newTopic: boolean;
  /** `{ every: '15m' }` or `{ cron: '0 9 * * 1-5' }`, as the schema's fields. */
  when: { every: string } | { cron: string };
  timezone?: string;
  prompt: string;
}

/** The first token and the rest (newlines in the rest kept: they are the prompt's). */
function take(text: string): [string, string] | undefined {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text);
  return match ? [match[1] ?? '', match[2] ?? ''] : undefined;
}

const RATE_UNIT_RE = /^(m|min|mins|minutes?|h|hours?|d|days?)$/i;

export function parseAddWords(args: string): AddWords | { problem: string } {
  const first = take(args.trim());
  if (!first) return { problem: 'the schedule needs a name.' };
  const [name] = first;
  let rest = first[1];
  let newTopic = false;
  const flag = take(rest);
  if (flag?.[0] === '--new-topic') {
    newTopic = true;
    rest = flag[1];
  }
  const when = takeWhen(rest);
  if ('problem' in when) return when;
  rest = when.rest;
  let timezone: string | undefined;
  const zone = take(rest);
  if (zone && (zone[0].includes('/') || zone[0].toUpperCase() === 'UTC')) {
    timezone = zone[0].toUpperCase() === 'UTC' ? 'UTC' : zone[0];
    rest = zone[1];
  }
  const prompt = rest.trim();
  if (!prompt) return { problem: 'the schedule needs a prompt: the text each run sends to the agent.' };
  return { name, newTopic, when: when.value, ...(timezone !== undefined ? { timezone } : {}), prompt };
}

function takeWhen(text: string): { value: AddWords['when']; rest: string } | { problem: string } {
  const first = take(text);
  if (!first) return { problem: 'say when it runs: every 15m, every 2h, every 1d or 5 cron fields.' };
  if (first[0].toLowerCase() === 'every') {
    const amount = take(first[1]);
    if (!amount) return { problem: 'say how often: every 15m, every 2h or every 1d.' };
    const unit = /^\d+$/.test(amount[0]) ? take(amount[1]) : undefined;
    if (unit && RATE_UNIT_RE.test(unit[0]))
      return { value: { every: `${amount[0]} ${unit[0]}` }, rest: unit[1] };
    return { value: { every: amount[0] }, rest: amount[1] };
  }
  const fields: string[] = [];
  let rest = text;
  while (fields.length < 5) {
    const field = take(rest);
    if (!field)
      return { problem: 'a cron expression has 5 fields: minute hour day-of-month month day-of-week.' };
    fields.push(field[0]);
    rest = field[1];
  }
  return { value: { cron: fields.join(' ') }, rest };
}
