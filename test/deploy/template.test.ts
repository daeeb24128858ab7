import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TURN_ERROR_CODES } from '../../src/agent/types.js';
import { ENV_SCHEMA } from '../../src/config/env.js';
import { secretVariables } from '../../src/config/secrets.js';
import { DAY_MS } from '../../src/core/clock.js';
import { tenantPrefix } from '../../src/core/keys.js';
import { tenantFilesPrefix } from '../../src/files/paths.js';
import { DEFAULT_MAX_RECEIVES } from '../../src/queue/index.js';
import { PK, SK, TTL_ATTRIBUTE, tableDefinition } from '../../src/sessions/adapters/cloud/schema.js';
import { HEAD_RETENTION_MS } from '../../src/sessions/adapters/cloud/transcripts.js';
import { FAILURE_CODES } from '../../src/telegram/worker/error-text.js';
import { collectReferences, createEvaluator, type Template } from './cfn-eval.js';
import type { Json } from './cfn-yaml.js';
import { parseCfnYaml } from './cfn-yaml.js';
import { codeActions } from './code-actions.js';

const ROOT = join(import.meta.dirname, '..', '..');
const template = parseCfnYaml(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as unknown as Template & {
  Globals: { Function: { [key: string]: Json } };
  Outputs: Record<string, { Value: Json }>;
};
const R = template.Resources;
const props = (id: string): { [key: string]: Json } => {
  const p = R[id]?.Properties;
  if (!p) throw new Error(`no resource ${id}`);
  return p;
};

const PSEUDO = [
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
  'AWS::NotificationARNs',
];
const REQUIRED = {
  TelegramBotTokenParamName: '/oc/prod/bot-token',
  TelegramWebhookSecretParamName: '/oc/prod/webhook-secret',
};
const SCENARIOS: Record<string, Record<string, Json>> = {
  'defaults (Bedrock, IAM API)': { ...REQUIRED },
  'Anthropic API, token API, KMS, everything set': {
    ...REQUIRED,
    ModelProvider: 'anthropic',
    AnthropicApiKeyParamName: '/oc/prod/anthropic-key',
    ApiAuthMode: 'token',
    ApiAuthTokenParamName: '/oc/prod/api-token',
    SecretsKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
    AlarmEmail: 'ops@example.com',
    MainModel: 'claude-x',
    HaikuModel: 'h',
    SonnetModel: 's',
    OpusModel: 'o',
    TelegramAllowedUsers: '1,2',
    ApiAuthTenants: '*',
    BedrockModelArns: ['arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-x'],
  },
  'multi-tenant: tenants file in the image, ingress routes, tenant secrets in SSM': {
    ...REQUIRED,
    TenantsFile: '/var/task/tenants/tenants.yaml',
    TelegramTenants:
      '{"acme":{"botToken":{"ssm":"/oc/prod/tenants/acme/bot"},"webhookSecret":{"ssm":"/oc/prod/tenants/acme/hook"}}}',
    TenantParamPath: '/oc/prod/tenants',
  },
  'Bedrock with explicit model ARNs, token API': {
    ...REQUIRED,
    ApiAuthMode: 'token',
    ApiAuthTokenParamName: '/oc/prod/api-token',
    BedrockModelArns: ['arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-x'],
  },
};

/**
 * What each function's code does, and therefore the only actions its role may hold. `code` lists the
 * source folders whose AWS SDK calls must be covered; `platform` explains actions no SDK call in our
 * code shows (the event source mapping polls SQS, the claude binary calls Bedrock, Lambda writes logs).
 */
/** What both agent-running functions (worker, API) do: session storage, the model, their secrets. */
const AGENT_RUNTIME_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:ListBucket',
  's3:AbortMultipartUpload', // a failed multipart upload of a file (src/files/s3-upload.ts)
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:GetInferenceProfile',
  'bedrock:ListInferenceProfiles',
  'ssm:GetParameters',
  'kms:Decrypt',
];

/**
 * What the ingress and API do to schedules (issue 16): write the Scheduler schedule of a record
 * (create/update/delete, passing the scheduler role). Reads (Get/ListSchedules) are only made by
 * `omnicloud schedules sync` with the operator's credentials (src/schedules/eventbridge/reads.ts).
 */
const SCHEDULE_SYNC_ACTIONS = [
  'scheduler:CreateSchedule',
  'scheduler:UpdateSchedule',
  'scheduler:DeleteSchedule',
  'iam:PassRole',
];

const FUNCTIONS = {
  IngressFunction: {
    role: 'IngressRole',
    // The lease items (/stop, the Stop button, the busy 👀) and the schedule store's items
    // (/schedule, claims): not the rest of the cloud storage.
    code: [
      'src/queue/sqs-producer.ts',
      'src/aws/ssm.ts',
      'src/telegram',
      'src/sessions/adapters/cloud/leases.ts',
      'src/schedules/store',
      'src/sessions/adapters/cloud/prefix-query.ts',
      'src/schedules/eventbridge/ops.ts',
    ],
    actions: [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'ssm:GetParameters',
      'kms:Decrypt',
      ...SCHEDULE_SYNC_ACTIONS,
    ],
    resources: [
      'IngressLogGroup',
      'MessageQueue',
      'DedupeTable',
      'SessionTable',
      'TelegramBotTokenParamName',
      'TelegramWebhookSecretParamName',
      'TenantParamPath',
      'SecretsKmsKeyArn',
      'ScheduleGroup',
      'SchedulerRole',
    ],
  },
  WorkerFunction: {
    role: 'WorkerRole',
    code: [
      'src/sessions/adapters/cloud',
      'src/files', // the S3 file store (attachments, sent files)
      'src/usage/adapters/dynamodb',
      'src/aws/ssm.ts',
      'src/queue/sqs-batch.ts',
      'src/queue/sqs-retry.ts', // failed records visible again soon (ChangeMessageVisibilityBatch)
    ],
    actions: [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
      ...AGENT_RUNTIME_ACTIONS,
    ],
    resources: [
      'WorkerLogGroup',
      'MessageQueue',
      'SessionTable',
      'SessionBucket',
      'BedrockModelArns',
      'TelegramBotTokenParamName',
      'AnthropicApiKeyParamName',
      'TenantParamPath',
      'SecretsKmsKeyArn',
    ],
  },
  ApiFunction: {
    role: 'ApiRole',
    code: [
      'src/sessions/adapters/cloud',
      'src/files', // the S3 file store (attachments, sent files)
      'src/usage/adapters/dynamodb',
      'src/aws/ssm.ts',
      'src/server',
      'src/schedules/store',
      'src/schedules/eventbridge/ops.ts',
      'src/queue/sqs-producer.ts', // alert events are enqueued (POST /v1/events/:tenant)
    ],
    actions: [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      ...AGENT_RUNTIME_ACTIONS,
      ...SCHEDULE_SYNC_ACTIONS,
    ],
    resources: [
      'MessageQueue',
      'ScheduleGroup',
      'SchedulerRole',
      'ApiLogGroup',
      'SessionTable',
      'SessionBucket',
      'BedrockModelArns',
      'ApiAuthTokenParamName',
      'AnthropicApiKeyParamName',
      'TenantParamPath',
      'SecretsKmsKeyArn',
    ],
  },
} as const;
/** Actions required by the platform rather than by an SDK call in our code. */
const PLATFORM_ACTIONS = new Set([
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'kms:Decrypt',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:GetInferenceProfile',
  'bedrock:ListInferenceProfiles',
]);

/**
 * Actions granted for code that lands with another piece of issue 16: the DynamoDB schedule store
 * (`src/schedules/store/dynamodb.ts`) lists a tenant's schedules with Query. Each entry must go
 * once that file exists (the test below fails then), so the grant is checked against real code.
 */
const AHEAD_OF_CODE: Record<string, { file: string; actions: string[] }> = {};

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
};
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function statements(roleId: string, params: Record<string, Json>): Statement[] {
  const ev = createEvaluator(template, params);
  const policies = asList(ev.resolve(props(roleId).Policies as Json) as Json[]);
  return policies.flatMap((p) =>
    asList((p as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement),
  );
}

function envOf(fnId: string, params: Record<string, Json>): Record<string, Json> {
  const ev = createEvaluator(template, params);
  const globals = (template.Globals.Function.Environment as { Variables: Record<string, Json> }).Variables;
  const own = (props(fnId).Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
  return ev.resolve({ ...globals, ...own }) as Record<string, Json>;
}

describe('template.yaml parses and every reference resolves', () => {
  it('is a SAM template with the three functions', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    for (const id of Object.keys(FUNCTIONS)) expect(R[id]?.Type).toBe('AWS::Serverless::Function');
  });

  it('every Ref / GetAtt / ${X} in Sub names a parameter, resource or pseudo parameter; every condition exists', () => {
    const refs = collectReferences(template as unknown as Json);
    const known = new Set([...Object.keys(template.Parameters), ...Object.keys(R), ...PSEUDO]);
    expect(refs.refs.filter((r) => !known.has(r))).toEqual([]);
    expect(refs.subs.filter((r) => !known.has(r))).toEqual([]);
    expect(refs.getAtts.filter((r) => !(r in R))).toEqual([]);
    expect(refs.conditions.filter((c) => !(c in template.Conditions))).toEqual([]);
    expect(refs.refs.length + refs.getAtts.length + refs.subs.length).toBeGreaterThan(50);
  });

  it('every parameter is used', () => {
    const refs = collectReferences({ ...template, Parameters: {} } as unknown as Json);
    const used = new Set([...refs.refs, ...refs.subs]);
    expect(Object.keys(template.Parameters).filter((p) => !used.has(p))).toEqual([]);
  });

  it('every scenario evaluates (conditions resolve)', () => {
    for (const params of Object.values(SCENARIOS)) {
      const ev = createEvaluator(template, params);
      for (const c of Object.keys(template.Conditions)) expect(typeof ev.condition(c)).toBe('boolean');
    }
  });
});

describe('least-privilege IAM per function', () => {
  it('each function runs with its own explicit role (no SAM-generated role, no managed policies)', () => {
    for (const [fnId, spec] of Object.entries(FUNCTIONS)) {
      expect(props(fnId).Role).toEqual({ 'Fn::GetAtt': [spec.role, 'Arn'] });
      expect(props(fnId).Policies).toBeUndefined();
      expect(props(spec.role).ManagedPolicyArns).toBeUndefined();
    }
  });

  for (const [fnId, spec] of Object.entries(FUNCTIONS)) {
    it(`${spec.role}: actions ⊆ the declared list, all of it granted in some scenario, no wildcards`, () => {
      const granted = new Set<string>();
      for (const params of Object.values(SCENARIOS)) {
        for (const s of statements(spec.role, params)) {
          expect(s.Effect).toBe('Allow');
          for (const action of asList(s.Action)) {
            expect(action).not.toContain('*');
            expect(spec.actions).toContain(action);
            granted.add(action);
          }
          const resources = asList(s.Resource);
          if (resources.includes('*')) expect(asList(s.Action)).toEqual(['bedrock:ListInferenceProfiles']);
        }
      }
      expect([...granted].sort()).toEqual([...spec.actions].sort());
      void fnId;
    });

    it(`${spec.role}: names only its own resources`, () => {
      const refs = collectReferences(props(spec.role).Policies as Json);
      const named = new Set([...refs.refs, ...refs.getAtts, ...refs.subs].filter((r) => !PSEUDO.includes(r)));
      expect([...named].sort()).toEqual([...spec.resources].sort());
    });

    it(`${spec.role}: covers every AWS SDK call in the function's code`, () => {
      const used = codeActions(ROOT, [...spec.code]);
      expect(used.unknownCommands).toEqual([]);
      const granted = new Set<string>(spec.actions);
      const missing = [...used.actions.keys()].filter((a) => !granted.has(a));
      expect(missing, `actions used by ${[...used.actions.values()].flat().join(', ')}`).toEqual([]);
      // Everything declared is either called by our code or required by the platform.
      const ahead = AHEAD_OF_CODE[fnId];
      if (ahead)
        expect(existsSync(join(ROOT, ahead.file)), `${ahead.file} exists: drop AHEAD_OF_CODE`).toBe(false);
      const unexplained = spec.actions.filter(
        (a) => !used.actions.has(a) && !PLATFORM_ACTIONS.has(a) && !ahead?.actions.includes(a),
      );
      expect(unexplained).toEqual([]);
    });
  }

  it('S3 access is limited to the tenants/ prefix the storage layer writes under', () => {
    expect(tenantPrefix('x' as never).split('/')[0]).toBe('tenants');
    for (const role of ['WorkerRole', 'ApiRole']) {
      const s3 = statements(role, SCENARIOS['defaults (Bedrock, IAM API)']!).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('s3:')),
      );
      const objects = s3.find((s) => asList(s.Action).includes('s3:GetObject'))!;
      expect(objects.Resource).toEqual({ 'Fn::Sub': '${SessionBucket.Arn}/tenants/*' });
      const list = s3.find((s) => asList(s.Action).includes('s3:ListBucket'))!;
      expect(list.Condition).toEqual({ StringLike: { 's3:prefix': 'tenants/*' } });
    }
  });

  it('SSM grants match exactly the *_PARAM variables each function receives, in every scenario', () => {
    for (const [name, params] of Object.entries(SCENARIOS)) {
      for (const [fnId, spec] of Object.entries(FUNCTIONS)) {
        const env = envOf(fnId, params);
        const fromEnv = Object.entries(env)
          .filter(([k]) => k.endsWith('_PARAM'))
          .map(([, v]) => v);
        // Tenant secrets are granted by path (checked below), not per *_PARAM variable.
        const ssm = statements(spec.role, params).filter(
          (s) => asList(s.Action).includes('ssm:GetParameters') && s.Sid !== 'TenantSecrets',
        );
        const granted = ssm
          .flatMap((s) => asList(s.Resource))
          .map((r) => {
            const sub = (r as { 'Fn::Sub': string })['Fn::Sub'];
            const param = /parameter\$\{(\w+)\}$/.exec(sub)?.[1] as string;
            return params[param] ?? template.Parameters[param]?.Default;
          });
        expect(granted.sort(), `${name}: ${fnId}`).toEqual((fromEnv as string[]).sort());
      }
    }
  });

  it('tenant secrets: every function may read below TenantParamPath, and only when it is set', () => {
    const multi =
      SCENARIOS['multi-tenant: tenants file in the image, ingress routes, tenant secrets in SSM']!;
    for (const spec of Object.values(FUNCTIONS)) {
      const grant = statements(spec.role, multi).find((s) => s.Sid === 'TenantSecrets');
      expect(grant?.Action).toBe('ssm:GetParameters');
      expect(grant?.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TenantParamPath}/*',
      });
      const none = statements(spec.role, SCENARIOS['defaults (Bedrock, IAM API)']!);
      expect(none.some((s) => s.Sid === 'TenantSecrets')).toBe(false);
    }
    expect(envOf('IngressFunction', multi).OMNICLOUD_TELEGRAM_TENANTS).toBe(multi.TelegramTenants);
    for (const fn of ['WorkerFunction', 'ApiFunction']) {
      expect(envOf(fn, multi).OMNICLOUD_TENANTS_FILE).toBe(multi.TenantsFile);
    }
  });

  it('Bedrock actions exist only with ModelProvider=bedrock', () => {
    const anthropic = SCENARIOS['Anthropic API, token API, KMS, everything set']!;
    for (const role of ['WorkerRole', 'ApiRole', 'IngressRole']) {
      expect(
        statements(role, anthropic)
          .flatMap((s) => asList(s.Action))
          .filter((a) => a.startsWith('bedrock:')),
      ).toEqual([]);
    }
    const ingress = statements('IngressRole', SCENARIOS['defaults (Bedrock, IAM API)']!).flatMap((s) =>
      asList(s.Action),
    );
    expect(ingress.filter((a) => a.startsWith('bedrock:') || a.startsWith('s3:'))).toEqual([]);
  });
});

describe('queue, timeouts and retries', () => {
  const queue = props('MessageQueue');
  const worker = props('WorkerFunction');

  it('FIFO queue and FIFO DLQ with per-message-group dedupe and throughput', () => {
    expect(queue).toMatchObject({
      FifoQueue: true,
      // Scheduler cannot set a deduplication id (docs/schedules-aws.md); ours still sets one (below).
      ContentBasedDeduplication: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    expect(props('DeadLetterQueue').FifoQueue).toBe(true);
    expect((queue.RedrivePolicy as { deadLetterTargetArn: Json }).deadLetterTargetArn).toEqual({
      'Fn::GetAtt': ['DeadLetterQueue', 'Arn'],
    });
  });

  it(`maxReceiveCount is ${DEFAULT_MAX_RECEIVES} (the code's DEFAULT_MAX_RECEIVES)`, () => {
    expect((queue.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount).toBe(DEFAULT_MAX_RECEIVES);
    expect(DEFAULT_MAX_RECEIVES).toBe(5);
  });

  it('visibility timeout ≥ 6 × worker timeout; worker timeout ≤ 15 min; turn budget fits inside', () => {
    const timeout = worker.Timeout as number;
    expect(timeout).toBeLessThanOrEqual(900);
    expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    const turnMax = template.Parameters.TurnTimeoutMs!.MaxValue as number;
    expect(turnMax).toBeLessThan(timeout * 1000);
    expect(template.Parameters.TurnTimeoutMs!.Default as number).toBeLessThanOrEqual(turnMax);
    expect(props('ApiFunction').Timeout as number).toBeGreaterThan(turnMax / 1000);
  });

  it('the worker consumes with partial batch failures', () => {
    const events = worker.Events as Record<string, { Type: string; Properties: { [k: string]: Json } }>;
    const sqs = Object.values(events).find((e) => e.Type === 'SQS')!;
    expect(sqs.Properties.Queue).toEqual({ 'Fn::GetAtt': ['MessageQueue', 'Arn'] });
    expect(sqs.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('a failed record comes back soon: the worker knows its queue and may change a message’s visibility there', () => {
    // src/queue/sqs-retry.ts sets a failed record's visibility to seconds (ChangeMessageVisibility)
    // on QUEUE_URL; without either it would return only after the queue's 5,400 s timeout.
    for (const params of Object.values(SCENARIOS)) {
      expect(envOf('WorkerFunction', params).QUEUE_URL).toEqual({ Ref: 'MessageQueue' });
      const consume = statements('WorkerRole', params).find((s) => s.Sid === 'ConsumeQueue')!;
      expect(asList(consume.Action)).toContain('sqs:ChangeMessageVisibility');
      expect(consume.Resource).toEqual({ 'Fn::GetAtt': ['MessageQueue', 'Arn'] });
    }
    expect(
      codeActions(ROOT, ['src/queue/sqs-batch.ts', 'src/queue/sqs-retry.ts']).actions.has(
        'sqs:ChangeMessageVisibility',
      ),
    ).toBe(true);
  });

  it('worker/API memory leaves room for one ~200 MB agent process; ephemeral storage set', () => {
    expect(template.Parameters.WorkerMemorySize!.MinValue as number).toBeGreaterThanOrEqual(1024);
    for (const id of ['WorkerFunction', 'ApiFunction']) {
      expect((props(id).EphemeralStorage as { Size: number }).Size).toBeGreaterThanOrEqual(1024);
    }
  });
});

describe('storage resources match the storage code', () => {
  const tables = Object.entries(R).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');

  it(`every table: on demand, TTL attribute "${TTL_ATTRIBUTE}", PITR, SSE`, () => {
    expect(tables.length).toBe(2);
    for (const [, t] of tables) {
      expect(t.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
  });

  it('the session table has the key schema of the cloud adapter (tableDefinition)', () => {
    const def = tableDefinition('x');
    const session = props('SessionTable');
    expect(session.KeySchema).toEqual(def.KeySchema);
    expect(session.AttributeDefinitions).toEqual(def.AttributeDefinitions);
    expect([PK, SK]).toEqual(['pk', 'sk']);
  });

  it('S3: lifecycle expiry = the storage horizon (2 × retention), abort multipart after 1 day, private, encrypted', () => {
    const bucket = props('SessionBucket');
    const rules = (bucket.LifecycleConfiguration as { Rules: Array<{ [k: string]: Json }> }).Rules;
    const expire = rules.find((r) => r.ExpirationInDays !== undefined)!;
    expect(expire.ExpirationInDays).toBe(HEAD_RETENTION_MS / DAY_MS);
    expect(expire.Prefix).toBe(tenantPrefix('x' as never).replace('x/', ''));
    // Received and sent files live under the same prefix, so they expire like transcripts.
    expect(tenantFilesPrefix({ tenant: 'x' as never }).startsWith(String(expire.Prefix))).toBe(true);
    const abort = rules.find((r) => r.AbortIncompleteMultipartUpload !== undefined)!;
    expect(abort.AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 1 });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption).toBeDefined();
  });

  it('bucket and queues deny non-TLS access', () => {
    for (const id of ['SessionBucketPolicy', 'QueuesTlsPolicy']) {
      const [stmt] = (props(id).PolicyDocument as { Statement: Statement[] }).Statement;
      expect(stmt).toMatchObject({
        Effect: 'Deny',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
  });
});

describe('environment and secrets', () => {
  const envKeys = new Set(Object.keys(ENV_SCHEMA.shape));
  const secretTargets = new Set(secretVariables().map((v) => v.target));

  it('every env var the template sets is read by src/config/env.ts (ENV_SCHEMA)', () => {
    for (const params of Object.values(SCENARIOS)) {
      for (const fnId of Object.keys(FUNCTIONS)) {
        const unknown = Object.keys(envOf(fnId, params)).filter((k) => !envKeys.has(k));
        expect(unknown, fnId).toEqual([]);
      }
    }
  });

  it.each([
    ['TelegramNonForumGroups', 'TELEGRAM_NON_FORUM_GROUPS'],
    ['TelegramEditedMessages', 'TELEGRAM_EDITED_MESSAGES'],
  ] as const)('every value the environment parameter %s allows is one env.ts accepts', (param, name) => {
    const allowed = (template.Parameters[param] as { AllowedValues?: string[] }).AllowedValues;
    expect(allowed?.length).toBeGreaterThan(0);
    for (const value of allowed ?? []) {
      expect(envOf('IngressFunction', { [param]: value })[name]).toBe(value);
      expect(ENV_SCHEMA.shape[name].safeParse(value).success, value).toBe(true);
    }
  });

  it('WebConsole: the API function serves /console unless off (and only token mode has a ConsoleUrl)', () => {
    const token = SCENARIOS['Bedrock with explicit model ARNs, token API']!;
    const on = envOf('ApiFunction', token)['OMNICLOUD_CONSOLE'];
    const off = envOf('ApiFunction', { ...token, WebConsole: 'off' })['OMNICLOUD_CONSOLE'];
    expect([on, off]).toEqual(['1', '0']);
    for (const value of [on, off])
      expect(ENV_SCHEMA.shape.OMNICLOUD_CONSOLE.safeParse(value).success).toBe(true);
    const served = (params: Record<string, Json>) =>
      createEvaluator(template, params).condition('ConsoleServed');
    expect(served(token)).toBe(true);
    expect(served({ ...token, WebConsole: 'off' })).toBe(false);
    expect(served(SCENARIOS['defaults (Bedrock, IAM API)']!)).toBe(false);
    expect(
      (template as unknown as { Outputs: Record<string, { Condition?: string }> }).Outputs['ConsoleUrl']
        ?.Condition,
    ).toBe('ConsoleServed');
  });

  it('WorkerQueuePollers: standard mode caps turns by WorkerMaxConcurrency; set, the event source is provisioned instead (never both)', () => {
    const defaults = SCENARIOS['defaults (Bedrock, IAM API)']!;
    const source = (params: Record<string, Json>) => {
      const events = props('WorkerFunction').Events as { Conversations: { Properties: Json } };
      return createEvaluator(template, params).resolve(events.Conversations.Properties) as Record<
        string,
        Json
      >;
    };
    const standard = source(defaults);
    expect(standard['ScalingConfig']).toEqual({ MaximumConcurrency: 5 });
    expect(standard['ProvisionedPollerConfig']).toBeUndefined();
    const provisioned = source({ ...defaults, WorkerQueuePollers: 500 });
    expect(provisioned['ProvisionedPollerConfig']).toEqual({ MinimumPollers: 2, MaximumPollers: 500 });
    expect(provisioned['ScalingConfig']).toBeUndefined();
    // One message per invocation and partial batch responses in both modes.
    for (const s of [standard, provisioned]) {
      expect(s['BatchSize']).toBe(1);
      expect(s['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
    }
  });

  it('the ingress gets the sessions table its lease statement names (the table, never the bucket)', () => {
    for (const params of Object.values(SCENARIOS)) {
      const env = envOf('IngressFunction', params);
      expect(env['SESSION_TABLE']).toEqual({ Ref: 'SessionTable' });
      expect(env['SESSION_BUCKET']).toBeUndefined();
    }
    const leases = statements('IngressRole', SCENARIOS['defaults (Bedrock, IAM API)']!).find((s) =>
      asList(s.Action).includes('dynamodb:UpdateItem'),
    );
    expect(asList(leases?.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(leases?.Resource).toEqual({ 'Fn::GetAtt': ['SessionTable', 'Arn'] });
  });

  it('no secret value is ever put in the environment: only *_PARAM names, each a Ref to a *ParamName parameter', () => {
    for (const params of Object.values(SCENARIOS)) {
      for (const fnId of Object.keys(FUNCTIONS)) {
        const env = envOf(fnId, params);
        expect(
          Object.keys(env).filter((k) => secretTargets.has(k)),
          fnId,
        ).toEqual([]);
      }
    }
    const raw = JSON.stringify(R);
    for (const m of raw.matchAll(/"(\w+_PARAM)":(\{[^}]*\}(?:,\{[^}]*\})*\]?\}?)/g)) {
      expect(m[2]).toMatch(/ParamName/);
    }
  });

  it('secret parameters hold names only and never have a (non-empty) default', () => {
    const secretish = Object.entries(template.Parameters).filter(
      ([name]) => /token|secret|password|apikey|api_key/i.test(name) && !name.endsWith('KmsKeyArn'),
    );
    expect(secretish.length).toBeGreaterThanOrEqual(4);
    for (const [name, p] of secretish) {
      expect(name).toMatch(/ParamName$/);
      expect(p.Type).toBe('String');
      expect(p.Default === undefined || p.Default === '', name).toBe(true);
    }
    expect(template.Parameters.TelegramBotTokenParamName!.Default).toBeUndefined();
    expect(template.Parameters.TelegramWebhookSecretParamName!.Default).toBeUndefined();
  });

  it('Rules make token mode and the Anthropic provider require their secret parameter', () => {
    const rules = template.Rules as Record<
      string,
      { RuleCondition: Json; Assertions: Array<{ Assert: Json }> }
    >;
    expect(JSON.stringify(rules.TokenModeNeedsToken)).toContain('ApiAuthTokenParamName');
    expect(JSON.stringify(rules.AnthropicNeedsKey)).toContain('AnthropicApiKeyParamName');
  });

  it('production everywhere; cloud storage for the functions that touch sessions', () => {
    for (const fnId of Object.keys(FUNCTIONS))
      expect(envOf(fnId, SCENARIOS['defaults (Bedrock, IAM API)']!).OMNICLOUD_ENV).toBe('production');
    for (const fnId of ['WorkerFunction', 'ApiFunction']) {
      expect(envOf(fnId, SCENARIOS['defaults (Bedrock, IAM API)']!)).toMatchObject({
        OMNICLOUD_STORAGE: 'cloud',
        SESSION_TABLE: { Ref: 'SessionTable' },
        SESSION_BUCKET: { Ref: 'SessionBucket' },
      });
    }
  });
});

describe('functions, API and outputs', () => {
  it('ingress is an esbuild zip whose handler matches its entry point', () => {
    const meta = R.IngressFunction!.Metadata as {
      BuildMethod: string;
      BuildProperties: { EntryPoints: string[]; Format: string };
    };
    expect(meta.BuildMethod).toBe('esbuild');
    expect(meta.BuildProperties.EntryPoints).toEqual(['src/entry/lambda-ingress.ts']);
    expect(props('IngressFunction').Handler).toBe('lambda-ingress.handler');
    expect(props('IngressFunction').Runtime).toBe('nodejs22.x');
  });

  it('worker and API are images of the Dockerfile built for the functions architecture', () => {
    const arch = (template.Globals.Function.Architectures as string[])[0];
    for (const [id, entry] of [
      ['WorkerFunction', 'lambda-worker'],
      ['ApiFunction', 'lambda-api'],
    ] as const) {
      expect(props(id).PackageType).toBe('Image');
      expect(props(id).ImageConfig).toEqual({ Command: [`dist/entry/${entry}.handler`] });
      const meta = R[id]!.Metadata as {
        Dockerfile: string;
        DockerContext: string;
        DockerBuildArgs: { TARGET_ARCH: string };
      };
      expect(meta).toMatchObject({ Dockerfile: 'Dockerfile', DockerContext: '.' });
      expect(meta.DockerBuildArgs.TARGET_ARCH).toBe(arch);
    }
  });

  it('the webhook and alert-event routes are on one HTTP API; the API is a Function URL, IAM by default', () => {
    const events = props('IngressFunction').Events as Record<
      string,
      { Type: string; Properties: { Path: string; Method: string } }
    >;
    expect(Object.values(events)).toEqual([
      {
        Type: 'HttpApi',
        Properties: { ApiId: { Ref: 'TelegramHttpApi' }, Path: '/telegram/{tenant}', Method: 'POST' },
      },
    ]);
    // Alert events go to the API function's URL (it has the tenants' events.yaml and enqueues).
    expect(envOf('ApiFunction', SCENARIOS['defaults (Bedrock, IAM API)']!).QUEUE_URL).toEqual({
      Ref: 'MessageQueue',
    });
    expect(R.TelegramHttpApi!.Type).toBe('AWS::Serverless::HttpApi');
    const ev = createEvaluator(template, SCENARIOS['defaults (Bedrock, IAM API)']!);
    expect(ev.resolve(props('ApiFunctionUrl').AuthType as Json)).toBe('AWS_IAM');
    expect(ev.exists('ApiPublicUrlPermission')).toBe(false);
    const token = createEvaluator(template, SCENARIOS['Bedrock with explicit model ARNs, token API']!);
    expect(token.resolve(props('ApiFunctionUrl').AuthType as Json)).toBe('NONE');
    expect(token.exists('ApiPublicUrlPermission') && token.exists('ApiPublicInvokePermission')).toBe(true);
  });

  it("the API Function URL streams responses, and is the API function's only trigger", () => {
    // RESPONSE_STREAM pairs with the streamifyResponse handler of src/entry/lambda-api.ts: under
    // BUFFERED the URL would wait for the whole SSE turn; another trigger would get the raw stream.
    expect(props('ApiFunctionUrl').InvokeMode).toBe('RESPONSE_STREAM');
    expect(props('ApiFunction').Events).toBeUndefined();
    const urls = Object.values(R).filter((r) => r.Type === 'AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
  });

  it('outputs the webhook URL and the API URL', () => {
    expect(template.Outputs.WebhookUrl!.Value).toEqual({
      'Fn::Sub':
        'https://${TelegramHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/telegram/${TenantId}',
    });
    expect(template.Outputs.ApiUrl!.Value).toEqual({ 'Fn::GetAtt': ['ApiFunctionUrl', 'FunctionUrl'] });
  });
});

describe('alarms', () => {
  const alarms = Object.entries(R).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');

  it('DLQ not empty, worker/ingress/API errors and persistence errors all notify the SNS topic', () => {
    const byId = Object.fromEntries(alarms);
    expect(Object.keys(byId).sort()).toEqual(
      [
        'ApiErrorsAlarm',
        'DeadLetterQueueNotEmptyAlarm',
        'IngressErrorsAlarm',
        'PersistenceErrorsAlarm',
        'WorkerErrorsAlarm',
      ].sort(),
    );
    for (const [, a] of alarms) expect(a.Properties?.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(byId.DeadLetterQueueNotEmptyAlarm!.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
    });
  });

  it('the persistence metric filters match codes the code really emits: turn error codes and error codes', () => {
    const filters = Object.values(R).filter((r) => r.Type === 'AWS::Logs::MetricFilter');
    expect(filters.length).toBe(2);
    for (const f of filters) {
      const pattern = String(f.Properties!.FilterPattern);
      const clauses = [...pattern.matchAll(/\$\.(code|error_code) = "([a-z_]+)"/g)].map((m) => ({
        field: m[1] as string,
        code: m[2] as string,
      }));
      expect(clauses.length).toBeGreaterThan(0);
      for (const { field, code } of clauses) {
        // `error_code`: a turn result's code; `code`: an OmniError's code (the ones a worker can meet).
        const known: readonly string[] = field === 'error_code' ? TURN_ERROR_CODES : FAILURE_CODES;
        expect(known, `${field} = ${code}`).toContain(code);
      }
      expect(clauses).toContainEqual({ field: 'error_code', code: 'history_not_persisted' });
    }
  });
});

describe('schedules on EventBridge Scheduler (issue 16)', () => {
  const defaults = SCENARIOS['defaults (Bedrock, IAM API)']!;

  it('our producer still sets an explicit deduplication id, which wins over the content hash', () => {
    const producer = readFileSync(join(ROOT, 'src/queue/sqs-producer.ts'), 'utf8');
    expect(producer).toMatch(/MessageDeduplicationId: messageDeduplicationId\(message\)/);
    expect(props('MessageQueue').DeduplicationScope).toBe('messageGroup');
  });

  it('one schedule group; Scheduler assumes a role of this account that may only send to the work queue', () => {
    expect(R.ScheduleGroup!.Type).toBe('AWS::Scheduler::ScheduleGroup');
    const role = props('SchedulerRole');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(statements('SchedulerRole', defaults)).toEqual([
      {
        Sid: 'SendRuns',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['MessageQueue', 'Arn'] },
      },
    ]);
  });

  it('ingress and API write schedules of this group only, and pass the scheduler role to Scheduler only', () => {
    for (const role of ['IngressRole', 'ApiRole']) {
      const all = statements(role, defaults);
      const writes = all.find((s) => s.Sid === 'ScheduleTriggers')!;
      expect(asList(writes.Action).sort()).toEqual([
        'scheduler:CreateSchedule',
        'scheduler:DeleteSchedule',
        'scheduler:UpdateSchedule',
      ]);
      expect(writes.Resource).toEqual({
        'Fn::Sub':
          'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*',
      });
      const pass = all.find((s) => asList(s.Action).includes('iam:PassRole'))!;
      expect(pass).toEqual({
        Sid: 'PassSchedulerRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
      expect(all.filter((s) => asList(s.Action).some((a) => a.startsWith('scheduler:')))).toHaveLength(1);
    }
    const worker = statements('WorkerRole', defaults).flatMap((s) => asList(s.Action));
    expect(worker.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole')).toEqual([]);
  });

  it('the ingress may list, put and delete items of the session table (schedule store, claims)', () => {
    const store = statements('IngressRole', defaults).find((s) => s.Sid === 'ScheduleStore')!;
    expect(asList(store.Action).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    expect(store.Resource).toEqual({ 'Fn::GetAtt': ['SessionTable', 'Arn'] });
  });

  it('every DynamoDB action of the schedule and claim stores is granted on the session table itself', () => {
    // The role-wide check above cannot see which table an action is granted on (the ingress may
    // PutItem its dedupe table): the stores' own actions must be granted on SessionTable.
    const used = codeActions(ROOT, ['src/schedules/store', 'src/sessions/adapters/cloud/prefix-query.ts']);
    for (const role of ['IngressRole', 'ApiRole', 'WorkerRole']) {
      const onTable = statements(role, defaults)
        .filter(
          (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': ['SessionTable', 'Arn'] }),
        )
        .flatMap((s) => asList(s.Action));
      const missing = [...used.actions.keys()].filter(
        (a) => a.startsWith('dynamodb:') && !onTable.includes(a),
      );
      expect(missing, role).toEqual([]);
    }
  });

  it('ingress and API get the sync target (group, role, queue ARN); the worker does not', () => {
    const target = {
      OMNICLOUD_SCHEDULE_GROUP: { Ref: 'ScheduleGroup' },
      OMNICLOUD_SCHEDULE_ROLE_ARN: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
      OMNICLOUD_QUEUE_ARN: { 'Fn::GetAtt': ['MessageQueue', 'Arn'] },
    };
    for (const fn of ['IngressFunction', 'ApiFunction']) expect(envOf(fn, defaults)).toMatchObject(target);
    const worker = envOf('WorkerFunction', defaults);
    for (const name of Object.keys(target)) expect(worker[name]).toBeUndefined();
  });

  it('outputs what `omnicloud schedules sync` reads: group, scheduler role, queue ARN', () => {
    expect(template.Outputs.ScheduleGroupName!.Value).toEqual({ Ref: 'ScheduleGroup' });
    expect(template.Outputs.SchedulerRoleArn!.Value).toEqual({ 'Fn::GetAtt': ['SchedulerRole', 'Arn'] });
    expect(template.Outputs.QueueArn!.Value).toEqual({ 'Fn::GetAtt': ['MessageQueue', 'Arn'] });
  });
});
