import type { PermissionsConfig } from './permissions.js';

/**
 * AWS services whose `describe-*` and `list-*` calls are read-only lookups an ops agent makes all
 * the time. One rule per service on purpose: `aws * describe-*` would also match
 * `aws s3 rm s3://b --recursive --exclude describe-x` (`*` spans spaces), so the service is spelled out.
 */
const AWS_READ_SERVICES = (
  'acm application-autoscaling autoscaling backup ce cloudformation cloudfront ' +
  'cloudtrail cloudwatch codebuild codepipeline dynamodb ec2 ecr ecs efs eks ' +
  'elasticache elb elbv2 events health iam kinesis kms lambda logs organizations rds ' +
  'route53 s3api scheduler secretsmanager service-quotas sns sqs ssm stepfunctions ' +
  'wafv2 xray'
).split(' ');

/** Services whose `get-*` calls may return a secret or write a file: no `get-*` rule for them. */
const NO_GET = new Set(['secretsmanager']);

const awsReadRules = AWS_READ_SERVICES.flatMap((s) => [
  `Bash(aws ${s} describe-*)`,
  `Bash(aws ${s} list-*)`,
  ...(NO_GET.has(s) ? [] : [`Bash(aws ${s} get-*)`]),
]);

/**
 * The built-in permissions, used when the config folder has no `permissions.json`: read-only
 * lookups run, anything that can change state (or read a secret) waits for a person. Nothing is
 * denied. Reads of the workspace (Read/Glob/Grep/LS inside the cwd) are allowed by the policy
 * itself, so `Read` is not listed (a bare `Read` rule would allow reading any file).
 */
export const DEFAULT_PERMISSIONS: Readonly<PermissionsConfig> = Object.freeze({
  allow: [
    'TodoWrite',
    'TaskCreate',
    'TaskGet',
    'TaskList',
    'TaskUpdate',
    'Agent',
    'Skill',
    'ToolSearch',
    ...awsReadRules,
    'Bash(aws sts get-caller-identity *)',
    'Bash(aws s3 ls *)',
    'Bash(aws s3api head-object *)',
    'Bash(aws s3api head-bucket *)',
    'Bash(aws logs tail *)',
    'Bash(aws logs filter-log-events *)',
    'Bash(kubectl get *)',
    'Bash(kubectl describe *)',
    'Bash(kubectl logs *)',
    'Bash(kubectl top *)',
    'Bash(ls *)',
    'Bash(cat *)',
    'Bash(head *)',
    'Bash(tail *)',
    'Bash(grep *)',
    'Bash(wc *)',
    'Bash(jq *)',
    'Bash(sort *)',
    'Bash(uniq *)',
    'Bash(cut *)',
    'Bash(echo *)',
    'Bash(df *)',
    'Bash(du *)',
    'Bash(ps *)',
    'Bash(date)',
    'Bash(date -u)',
    'Bash(date +*)',
    'Bash(whoami)',
    'Bash(uptime)',
    'Bash(pwd)',
    'Bash(hostname)',
  ],
  ask: [
    // Read-only, but the answer is a secret (or writes a file the agent may later run).
    'Bash(aws secretsmanager get-secret-value *)',
    'Bash(aws ssm get-parameter* *--with-decryption*)',
    'Bash(aws kms decrypt *)',
    'Bash(aws * get-*token*)',
    'Bash(aws * get-*credentials*)',
    'Bash(aws ecr get-login-password*)',
    'Bash(aws ec2 get-password-data *)',
    'Bash(aws s3api get-object *)',
    'Bash(aws s3api get-object-torrent *)',
    'Bash(aws * get-export *)',
    'Bash(aws * get-sdk *)',
    'Bash(kubectl * secret*)',
    'Bash(*credentials*)',
    'Bash(*environ*)',
    'Bash(*.ssh/*)',
    'Bash(*.env*)',
    'Bash(env)',
    'Bash(printenv *)',
  ],
  deny: [],
  default: 'ask',
  timeoutMinutes: 30,
});
