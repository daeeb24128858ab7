import { describe, expect, it } from 'vitest';
import { DEFAULT_PERMISSIONS } from './defaults.js';
import { createToolPolicy, type ToolCall } from './policy.js';
import { parseRule } from './rules.js';

const policy = createToolPolicy(DEFAULT_PERMISSIONS, { allow: [] }, { cwd: '/work/run', home: '/home/app' });
const bash = (command: string): ToolCall => ({ tool: 'Bash', input: { command } });
const verdict = (command: string) => policy.evaluate(bash(command)).verdict;

describe('DEFAULT_PERMISSIONS', () => {
  it('is valid: every rule parses, nothing is denied, the default asks', () => {
    for (const rule of [...DEFAULT_PERMISSIONS.allow, ...DEFAULT_PERMISSIONS.ask]) {
      expect(parseRule(rule), rule).toMatchObject({ ok: true });
    }
    expect(DEFAULT_PERMISSIONS.deny).toEqual([]);
    expect(DEFAULT_PERMISSIONS.default).toBe('ask');
    expect(DEFAULT_PERMISSIONS.timeoutMinutes).toBe(30);
  });

  it.each([
    'aws ec2 describe-instances --filters Name=tag:env,Values=prod --output json',
    'aws ecs list-services --cluster prod',
    'aws lambda get-function-configuration --function-name api',
    'aws cloudwatch get-metric-statistics --namespace AWS/EC2 --metric-name CPUUtilization',
    'aws logs describe-log-groups',
    'aws logs tail /aws/lambda/api --since 1h',
    'aws logs filter-log-events --log-group-name x --filter-pattern ERROR',
    'aws sts get-caller-identity',
    'aws s3 ls',
    'aws s3 ls s3://bucket/prefix/',
    'AWS_REGION=eu-west-1 aws rds describe-db-instances',
    'aws ec2 describe-instances | jq ".Reservations[].Instances[].InstanceId"',
    'aws ssm get-parameter --name /app/flag',
    'kubectl get pods -n prod',
    'kubectl describe deployment api',
    'kubectl logs api-123 --tail 100',
    'ls',
    'ls -la /var/log',
    'cat README.md',
    'tail -n 50 app.log | grep ERROR | wc -l',
    'echo hello',
    'df -h',
    'date',
    'date -u',
    'date +%s',
    'whoami',
    'uptime',
    'ls >/dev/null 2>&1',
  ])('allows the read-only lookup: %s', (command) => {
    expect(verdict(command)).toBe('allow');
  });

  it.each([
    // State changes: asked by the default (no rule).
    'aws ec2 reboot-instances --instance-ids i-1',
    'aws ec2 terminate-instances --instance-ids i-1',
    'aws s3 rm s3://bucket --recursive --exclude describe-x',
    'aws s3 cp a s3://b/a',
    'aws ssm send-command --document-name AWS-RunShellScript --comment describe-x',
    'aws --region eu-west-1 ec2 describe-instances',
    'kubectl delete pod api-123',
    'kubectl -n prod get pods',
    'rm -rf /tmp/x',
    'lsof -i',
    'date -s 2020-01-01',
    'echo x > /work/run/.claude/skills/x/scripts/run.sh',
    'echo $AWS_SECRET_ACCESS_KEY',
    'cat $(ls)',
    'PATH=/tmp ls',
    'curl https://example.com',
    'ls && curl https://example.com',
    // Read-only but a secret: asked by an ask rule.
    'aws secretsmanager get-secret-value --secret-id prod/db',
    'aws ssm get-parameter --name /db/pw --with-decryption',
    'aws ssm get-parameters-by-path --path /db --with-decryption --recursive',
    'aws kms decrypt --ciphertext-blob fileb://x',
    'aws ecr get-login-password --region eu-west-1',
    'aws eks get-token --cluster-name prod',
    'aws sts get-session-token',
    'aws ec2 get-password-data --instance-id i-1',
    'aws s3api get-object --bucket b --key k /work/run/run.sh',
    'kubectl get secret db -o yaml',
    'kubectl get secrets',
    'cat ~/.aws/credentials',
    'cat /proc/self/environ',
    'cat .env',
    'head ~/.ssh/id_rsa',
    'env',
    'printenv AWS_SECRET_ACCESS_KEY',
  ])('asks: %s', (command) => {
    expect(verdict(command)).toBe('ask');
  });

  it('lets the housekeeping tools and workspace reads run, asks for the rest', () => {
    const v = (tool: string, input: Record<string, unknown> = {}) => policy.evaluate({ tool, input }).verdict;
    for (const tool of ['TodoWrite', 'Agent', 'Task', 'Skill', 'ToolSearch', 'TaskCreate'])
      expect(v(tool)).toBe('allow');
    expect(v('Read', { file_path: '/work/run/a' })).toBe('allow');
    expect(v('Glob', { pattern: '**/*' })).toBe('allow');
    expect(v('Read', { file_path: '/etc/passwd' })).toBe('ask');
    expect(v('Write', { file_path: '/work/run/a', content: '' })).toBe('ask');
    expect(v('WebFetch', { url: 'https://example.com' })).toBe('ask');
    expect(v('mcp__aws__reboot')).toBe('ask');
  });
});
