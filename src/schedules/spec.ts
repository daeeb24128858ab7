import { z } from 'zod';
import { InvalidScheduleError } from './errors.js';
import { assertValidTiming, parseTiming } from './timing.js';
import { SCHEDULE_NAME_RE, type ScheduleName, type ScheduleSpec, type ScheduleTiming } from './types.js';

/**
 * The one schema of a schedule as people write it: an entry of `schedules.yaml` and the body of
 * `POST /v1/schedules/:tenant` (JSON). Exactly one of `cron` and `every`:
 *
 * ```yaml
 * - name: morning-alarms            # [a-z0-9][a-z0-9_-]{0,39}, unique per tenant
 *   cron: "0 9 * * 1-5"             # minute hour day-of-month month day-of-week
 *   timezone: Europe/Berlin         # IANA; default UTC
 *   # every: 30m                    # or a rate: 30m, 2h, 1d (at least 5 minutes)
 *   prompt: Summarise last night's CloudWatch alarms and what changed.
 *   target: { chat: -1001234567890, thread: new }   # thread: a topic id, `new` (own topic) or absent
 *   model: sonnet                   # optional
 *   agent: aws-support              # optional, from agents.json
 *   enabled: true                   # default true
 * ```
 */
export const MAX_PROMPT_CHARS = 4000;

const chatId = z
  .number({ error: 'must be a Telegram chat id (an integer)' })
  .int({ error: 'must be a Telegram chat id (an integer)' })
  .refine((n) => Number.isSafeInteger(n) && n !== 0, { error: 'must be a Telegram chat id (an integer)' });

const thread = z.union(
  [
    z.literal('new'),
    z
      .number()
      .int()
      .positive()
      .max(2 ** 31),
  ],
  {
    error: "must be a topic id (a positive integer) or 'new'",
  },
);

/**
 * The fields of a written schedule, each checked on its own and without defaults: what
 * `SCHEDULE_SPEC_SCHEMA` checks first, and what a `PATCH` body may set (its fields are checked here
 * before the merged spec is checked whole).
 */
export const SCHEDULE_FIELDS = z.strictObject({
  name: z.string({ error: 'must be a name' }).regex(SCHEDULE_NAME_RE, {
    error: 'must be 1–40 characters a-z, 0-9, _ and -, starting with a letter or digit',
  }),
  cron: z.string().max(100, { error: 'must be at most 100 characters' }).optional(),
  every: z.string().max(40, { error: 'must be like 30m, 2h or 1d' }).optional(),
  timezone: z.string().max(64),
  prompt: z
    .string({ error: 'must be the text each run sends' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(MAX_PROMPT_CHARS, { error: `must be at most ${MAX_PROMPT_CHARS} characters` }),
  target: z.strictObject({ chat: chatId, thread: thread.optional() }, { error: 'must be { chat, thread? }' }),
  model: z
    .string()
    .regex(/^[A-Za-z0-9._:/@[\]-]{1,200}$/, { error: 'must be a model alias (haiku, sonnet, opus) or id' })
    .optional(),
  agent: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be an agent name from agents.json' })
    .optional(),
  enabled: z.boolean({ error: 'must be true or false' }),
});

export const SCHEDULE_SPEC_SCHEMA = SCHEDULE_FIELDS.extend({
  timezone: SCHEDULE_FIELDS.shape.timezone.default('UTC'),
  enabled: SCHEDULE_FIELDS.shape.enabled.default(true),
})
  .superRefine((value, ctx) => {
    if ((value.cron === undefined) === (value.every === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'set exactly one of cron and every' });
      return;
    }
    const timing = value.cron !== undefined ? parseTiming(value.cron) : parseTiming(`every ${value.every}`);
    if (value.every !== undefined && timing.type !== 'rate') {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'must be like 30m, 2h or 1d' });
      return;
    }
    try {
      assertValidTiming(timing, value.timezone);
    } catch (err) {
      const field = /time zone/.test((err as Error).message)
        ? 'timezone'
        : value.cron !== undefined
          ? 'cron'
          : 'every';
      ctx.addIssue({ code: 'custom', path: [field], message: (err as Error).message });
    }
  })
  .transform((value): ScheduleSpec => ({
    name: value.name as ScheduleName,
    timing: timingOf(value),
    timezone: value.timezone,
    prompt: value.prompt,
    target: {
      chat: value.target.chat,
      ...(value.target.thread !== undefined ? { thread: value.target.thread } : {}),
    },
    ...(value.model !== undefined ? { model: value.model } : {}),
    ...(value.agent !== undefined ? { agent: value.agent } : {}),
    enabled: value.enabled,
  }));

function timingOf(value: { cron?: string | undefined; every?: string | undefined }): ScheduleTiming {
  return value.cron !== undefined ? parseTiming(value.cron) : parseTiming(`every ${value.every ?? ''}`);
}

/** The written form of a spec (what `SCHEDULE_SPEC_SCHEMA` reads back): for the API and exports. */
export function writtenSpec(spec: ScheduleSpec): z.input<typeof SCHEDULE_SPEC_SCHEMA> {
  return {
    name: spec.name,
    ...(spec.timing.type === 'cron'
      ? { cron: spec.timing.expression }
      : { every: `${spec.timing.every}${spec.timing.unit[0]}` }),
    timezone: spec.timezone,
    prompt: spec.prompt,
    target: { ...spec.target },
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.agent !== undefined ? { agent: spec.agent } : {}),
    enabled: spec.enabled,
  };
}

/** Parses one spec; throws `InvalidScheduleError` naming every field that is wrong. */
export function parseScheduleSpec(raw: unknown): ScheduleSpec {
  const parsed = SCHEDULE_SPEC_SCHEMA.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InvalidScheduleError(
    parsed.error.issues.map((i) => `${i.path.join('.') || 'schedule'}: ${i.message}`).join('; '),
  );
}

export function parseScheduleName(value: unknown): ScheduleName {
  if (typeof value === 'string' && SCHEDULE_NAME_RE.test(value)) return value as ScheduleName;
  throw new InvalidScheduleError(
    'a schedule name is 1–40 characters a-z, 0-9, _ and -, starting with a letter or digit',
  );
}
