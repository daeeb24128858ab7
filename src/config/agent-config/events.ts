import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { boundedRecord } from '../../core/schema-bounds.js';
import type { IssueList } from './issues.js';
import {
  EVENT_SOURCES,
  isTemplateField,
  PLACEHOLDER_RE,
  TEMPLATE_FIELDS,
  type EventRoute,
} from './event-fields.js';
import { errnoCode, isNotFound } from './issues.js';

export const EVENTS_FILE = 'events.yaml';
export { EVENT_SOURCES, isTemplateField, PLACEHOLDER_RE, TEMPLATE_FIELDS, type EventRoute };

const glob = z.string().min(1).max(200);
/** Labels one route matches on (each one an alert must carry). */
const MAX_LABELS = 50;
const ROUTE = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, {
    error: 'must be 1–40 characters a-z, 0-9, _ and - (starting with a letter or digit)',
  }),
  match: z
    .strictObject({
      source: z.enum(EVENT_SOURCES, { error: `must be one of ${EVENT_SOURCES.join(', ')}` }).optional(),
      alarm: glob.optional(),
      state: z.string().min(1).max(40).optional(),
      topicArn: z
        .array(
          z
            .string()
            .max(512)
            .regex(/^arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, {
              error: 'must be an SNS topic ARN',
            }),
        )
        .min(1)
        .max(50)
        .optional(),
      labels: boundedRecord(z.string().min(1).max(200), glob, MAX_LABELS).optional(),
    })
    .default({}),
  prompt: z
    .string({ error: 'is required: the instructions for the investigation' })
    .min(1)
    .max(8000)
    .superRefine((text, ctx) => {
      for (const m of text.matchAll(PLACEHOLDER_RE)) {
        const name = m[1] ?? '';
        if (!isTemplateField(name)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder {{${name}}} (known: ${TEMPLATE_FIELDS.join(', ')}, labels.<name>, annotations.<name>, details.<name>)`,
          });
        }
      }
    }),
  target: z.strictObject({
    chat: z
      .number()
      .int()
      .safe()
      .refine((n) => n !== 0, { error: 'must be a Telegram chat id' }),
    thread: z
      .union([z.literal('new'), z.number().int().safe().positive()], {
        error: "must be a topic id or 'new'",
      })
      .optional(),
  }),
  model: z
    .string()
    .regex(/^[A-Za-z0-9._:/@[\]-]{1,200}$/, { error: 'must be a model alias or id' })
    .optional(),
  rateLimit: z
    .strictObject({
      max: z.number().int().min(1).max(1000).default(5),
      perMinutes: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 60)
        .default(60),
    })
    .default({ max: 5, perMinutes: 60 }),
});

/** events.yaml. */
export const EVENTS_SCHEMA = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  routes: z.array(ROUTE).max(100).default([]),
});

/**
 * Reads `events.yaml` (absent: no routes, the endpoint answers `no_route`). Problems are added to
 * `issues` with the file and the field (`routes[2].prompt`).
 */
export async function loadEventRoutes(root: string, issues: IssueList): Promise<EventRoute[]> {
  let text: string;
  try {
    text = await readFile(path.join(root, EVENTS_FILE), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return [];
    issues.add(EVENTS_FILE, '', `cannot read (${errnoCode(err)})`);
    return [];
  }
  return parseEventRoutes(text, issues);
}

/** The routes of an `events.yaml` text (see `loadEventRoutes`). */
export function parseEventRoutes(text: string, issues: IssueList): EventRoute[] {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      issues.add(EVENTS_FILE, '', `not valid YAML: ${e.message.split('\n')[0] ?? ''}`);
    return [];
  }
  const parsed = EVENTS_SCHEMA.safeParse(doc.toJS());
  if (!parsed.success) {
    issues.addZod(EVENTS_FILE, [], parsed.error);
    return [];
  }
  const seen = new Set<string>();
  parsed.data.routes.forEach((r, i) => {
    if (seen.has(r.name)) issues.add(EVENTS_FILE, `routes[${i}].name`, `duplicate route name ${r.name}`);
    seen.add(r.name);
  });
  return parsed.data.routes.map((r) => ({
    name: r.name,
    match: r.match,
    prompt: r.prompt,
    target: r.target,
    ...(r.model ? { model: r.model } : {}),
    rateLimit: r.rateLimit,
  }));
}

/** `omnicloud config check` lines: each route, what it matches, where it reports, its rate limit. */
export function summarizeEventRoutes(routes: readonly EventRoute[]): string[] {
  const lines = [`  event routes (${routes.length})${routes.length === 0 ? ': none (no events.yaml)' : ':'}`];
  for (const r of routes) {
    const m = r.match;
    const match = [
      m.source && `source=${m.source}`,
      m.alarm && `alarm=${m.alarm}`,
      m.state && `state=${m.state}`,
      m.topicArn && `topics=${m.topicArn.length}`,
      m.labels &&
        Object.entries(m.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
    ].filter(Boolean);
    const thread = r.target.thread === undefined ? '' : ` thread ${r.target.thread}`;
    lines.push(
      `    - ${r.name}: ${match.length > 0 ? match.join(' ') : 'every event'} → chat ${r.target.chat}${thread}; ≤ ${r.rateLimit.max} per ${r.rateLimit.perMinutes} min${r.model ? `; model ${r.model}` : ''}`,
    );
  }
  return lines;
}
