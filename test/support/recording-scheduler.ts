import { SchedulerClient, type SchedulerClientConfig } from '@aws-sdk/client-scheduler';
import { baseClientConfig } from '../../src/aws/config.js';

/** One HTTP request the SDK sent, as serialized by its real REST-JSON serializer. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The JSON body, parsed (undefined for GET/DELETE). */
  body?: Record<string, unknown>;
  /** `Create`, `Update`, `Get`, `Delete` or `List`. */
  op: 'Create' | 'Update' | 'Get' | 'Delete' | 'List';
}

interface StubRequest {
  method: string;
  path: string;
  query: Record<string, string | string[] | null>;
  body?: unknown;
}

/**
 * A real `SchedulerClient` (the project's client config, one attempt) whose request handler records
 * every HTTP request and answers like EventBridge Scheduler from an in-memory group: Create refuses
 * an existing name (409 ConflictException), Update/Get/Delete a missing one (404
 * ResourceNotFoundException), List pages `pageSize` names at a time. `fail` may answer an error
 * instead (status and exception name) for a request.
 */
export function recordingScheduler(
  options: {
    pageSize?: number;
    fail?: (r: RecordedRequest) => { status: number; type: string; message: string } | undefined;
  } = {},
) {
  const requests: RecordedRequest[] = [];
  /** Stored schedules by `group/name`: the body of the last Create/Update. */
  const schedules = new Map<string, Record<string, unknown>>();
  const pageSize = options.pageSize ?? 100;
  const reply = (statusCode: number, json: unknown, type?: string) => ({
    response: {
      statusCode,
      headers: { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) },
      body: Buffer.from(JSON.stringify(json)),
    },
  });
  const handle = async (request: StubRequest) => {
    const query = Object.fromEntries(
      Object.entries(request.query ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]),
    );
    const name = decodeURIComponent(request.path.replace(/^\/schedules\/?/, ''));
    const text =
      typeof request.body === 'string'
        ? request.body
        : request.body instanceof Uint8Array
          ? new TextDecoder().decode(request.body)
          : '';
    const body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const op: RecordedRequest['op'] =
      request.method === 'POST'
        ? 'Create'
        : request.method === 'PUT'
          ? 'Update'
          : request.method === 'DELETE'
            ? 'Delete'
            : name === ''
              ? 'List'
              : 'Get';
    const recorded: RecordedRequest = {
      method: request.method,
      path: request.path,
      query,
      op,
      ...(body ? { body } : {}),
    };
    requests.push(recorded);
    const failure = options.fail?.(recorded);
    if (failure) return reply(failure.status, { Message: failure.message }, failure.type);
    const group = String(body?.GroupName ?? query.groupName ?? query.ScheduleGroup ?? 'default');
    const key = `${group}/${name}`;
    const missing = () =>
      reply(404, { Message: `Schedule ${name} does not exist.` }, 'ResourceNotFoundException');
    const arn = (n: string) => `arn:aws:scheduler:eu-west-1:123456789012:schedule/${group}/${n}`;
    switch (op) {
      case 'Create':
        if (schedules.has(key))
          return reply(409, { Message: `Schedule ${name} already exists.` }, 'ConflictException');
        schedules.set(key, { ...body, GroupName: group });
        return reply(200, { ScheduleArn: arn(name) });
      case 'Update':
        if (!schedules.has(key)) return missing();
        schedules.set(key, { ...body, GroupName: group });
        return reply(200, { ScheduleArn: arn(name) });
      case 'Get': {
        const s = schedules.get(key);
        return s ? reply(200, { ...s, Name: name, Arn: arn(name) }) : missing();
      }
      case 'Delete':
        return schedules.delete(key) ? reply(200, {}) : missing();
      case 'List': {
        const names = [...schedules.keys()]
          .filter((k) => k.startsWith(`${group}/${query.NamePrefix ?? ''}`))
          .map((k) => k.slice(group.length + 1))
          .sort();
        const start = query.NextToken ? Number(query.NextToken) : 0;
        const page = names.slice(start, start + pageSize);
        const next = start + pageSize < names.length ? String(start + pageSize) : undefined;
        return reply(200, {
          Schedules: page.map((n) => ({ Name: n, GroupName: group, Arn: arn(n), State: 'ENABLED' })),
          ...(next ? { NextToken: next } : {}),
        });
      }
    }
  };
  const client = new SchedulerClient({
    ...baseClientConfig({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' },
      retry: { maxAttempts: 1 },
    }),
    requestHandler: { handle } as unknown as SchedulerClientConfig['requestHandler'],
  });
  return { client, requests, schedules };
}
