import {
  describeTiming,
  isActive,
  nextDueTimes,
  timeIn,
  type ScheduleRecord,
  type ScheduleSpec,
  type ScheduleTarget,
} from '../../../schedules/index.js';

/** `Wed 2 Dec, 09:00 (Europe/Berlin)`, or why there is none. */
export function nextRunText(
  record: Pick<ScheduleRecord, 'timing' | 'timezone' | 'enabled' | 'paused'>,
  now: number,
): string {
  if (!isActive(record)) return record.paused ? 'none (paused)' : 'none (disabled)';
  const [next] = nextDueTimes(record, now, 1);
  return next === undefined ? 'none' : `${timeIn(next, record.timezone)} (${record.timezone})`;
}

/** Where runs post, seen from the chat the command was sent in (`here`) or from anywhere. */
export function targetText(target: ScheduleTarget, here?: number): string {
  const chat = here === target.chat ? 'this chat' : `chat ${target.chat}`;
  if (target.thread === 'new') return `a new topic of its own in ${chat}`;
  if (target.thread !== undefined) return `topic ${target.thread} of ${chat}`;
  return chat;
}

const PROMPT_PREVIEW_CHARS = 3000;

/** The confirmation of `/schedule add`: everything that will be saved, and the next 3 due times. */
export function summaryText(spec: ScheduleSpec, now: number, heading: string): string {
  const runs = nextDueTimes(spec, now, 3).map((t) => timeIn(t, spec.timezone));
  const prompt =
    spec.prompt.length > PROMPT_PREVIEW_CHARS
      ? `${spec.prompt.slice(0, PROMPT_PREVIEW_CHARS)}…`
      : spec.prompt;
  return [
    heading,
    '',
    `Name: ${spec.name}`,
    `When: ${describeTiming(spec.timing, spec.timezone)}`,
    `Time zone: ${spec.timezone}`,
    `Next runs: ${runs.length > 0 ? runs.join('; ') : 'none'}`,
    `Posts in: ${targetText(spec.target, spec.target.chat)}`,
    ...(spec.agent !== undefined ? [`Agent: ${spec.agent}`] : []),
    `Prompt: ${prompt}`,
  ].join('\n');
}

/** One line of `/schedule list`. */
export function listLine(record: ScheduleRecord, now: number, here: number): string {
  const state = !record.enabled ? 'disabled' : record.paused ? '⏸ paused' : 'enabled';
  const origin = record.origin === 'config' ? 'schedules.yaml' : 'added at runtime';
  const where =
    record.target.chat === here && record.target.thread === undefined
      ? ''
      : ` · ${targetText(record.target, here)}`;
  return (
    `• ${record.name} — ${state} · ${describeTiming(record.timing, record.timezone)} · ` +
    `next ${nextRunText(record, now)} · ${origin}${where}`
  );
}

/** Lines joined into messages of at most `max` characters (a longer line is cut). */
export function chunkLines(lines: string[], max = 4000): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > max ? `${raw.slice(0, max - 1)}…` : raw;
    if (current && current.length + 1 + line.length > max) {
      out.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) out.push(current);
  return out;
}
