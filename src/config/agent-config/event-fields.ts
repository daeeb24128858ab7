/*
 * The shape of an `events.yaml` route and its placeholders, without the loader: the events
 * endpoint imports this (no YAML parser, no file system in the API and ingress bundles).
 */

/** The sources a route can match (`match.source`). */
export const EVENT_SOURCES = ['cloudwatch', 'alertmanager', 'generic'] as const;

/**
 * Placeholders a route's prompt may use. Fields an event does not have render as `(none)`;
 * `labels.<name>`, `annotations.<name>` (Alertmanager) and `details.<name>` (generic) name one entry.
 */
export const TEMPLATE_FIELDS = [
  'title',
  'source',
  'state',
  'severity',
  'time',
  'alarm',
  'old_state',
  'reason',
  'description',
  'region',
  'account',
  'metric',
  'dimensions',
  'threshold',
  'topic_arn',
  'summary',
  'labels',
  'annotations',
  'alerts',
  'details',
  'essentials',
  'raw',
] as const;
const TEMPLATE_PREFIX_RE = /^(?:labels|annotations|details)\.[A-Za-z0-9_.-]{1,100}$/;
export const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Whether `{{name}}` is a known placeholder. */
export function isTemplateField(name: string): boolean {
  return (TEMPLATE_FIELDS as readonly string[]).includes(name) || TEMPLATE_PREFIX_RE.test(name);
}

/** One validated route of `events.yaml`. */
export interface EventRoute {
  name: string;
  match: {
    source?: (typeof EVENT_SOURCES)[number];
    /** Glob (`*`, `?`) over the alarm name / alertname / generic title. */
    alarm?: string;
    /** Case-insensitive: `ALARM`, `OK`, `firing`, `resolved`… */
    state?: string;
    /** SNS topics this route accepts (and whose subscriptions may be confirmed). */
    topicArn?: string[];
    /** Label name → glob; every one must match. */
    labels?: Record<string, string>;
  };
  prompt: string;
  target: { chat: number; thread?: number | 'new' };
  model?: string;
  rateLimit: { max: number; perMinutes: number };
}
