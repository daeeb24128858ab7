import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseCommandArgs } from './args.js';

export const DEPLOY_HELP = `omnicloud deploy [--guided] [--stack NAME] [--region R] [--profile P] [--no-build] [-- <sam deploy args>]

Runs \`sam build\` then \`sam deploy\` (guided on the first run, when samconfig.toml is missing) and
prints the stack outputs (webhook URL, API URL). Needs the AWS SAM CLI, Docker (the worker and API
are container images) and AWS credentials. See docs/deploy.md.`;

export interface DeployIo {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
}

export interface DeployDeps {
  /** Runs a command with inherited stdio; resolves with its exit code (rejects with ENOENT if missing). */
  run(command: string, args: string[], cwd: string): Promise<number>;
  exists(path: string): boolean;
  now(): number;
}

export const defaultDeployDeps: DeployDeps = {
  run: (command, args, cwd) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, stdio: 'inherit' });
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    }),
  exists: existsSync,
  now: () => Date.now(),
};

/** `omnicloud deploy`: returns the exit code. */
export async function runDeploy(
  argv: string[],
  io: DeployIo,
  deps: DeployDeps = defaultDeployDeps,
): Promise<number> {
  const dashdash = argv.indexOf('--');
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  const passThrough = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  const { values } = parseCommandArgs(own, {
    guided: { type: 'boolean', default: false },
    stack: { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.out(DEPLOY_HELP);
    return 0;
  }
  const common = [
    ...(values.region ? ['--region', values.region] : []),
    ...(values.profile ? ['--profile', values.profile] : []),
  ];
  const guided = values.guided || !deps.exists(`${io.cwd}/samconfig.toml`);
  const steps: Array<{ label: string; command: string; args: string[] }> = [
    { label: 'checking the SAM CLI', command: 'sam', args: ['--version'] },
    {
      label: 'checking Docker (worker and API are container images)',
      command: 'docker',
      args: ['info', '--format', '{{.ServerVersion}}'],
    },
    ...(values['no-build']
      ? []
      : [{ label: 'sam build', command: 'sam', args: ['build', '--cached', '--parallel'] }]),
    {
      label: `sam deploy${guided ? ' --guided' : ''}`,
      command: 'sam',
      args: [
        'deploy',
        ...(guided ? ['--guided'] : []),
        ...(values.stack ? ['--stack-name', values.stack] : []),
        ...common,
        ...passThrough,
      ],
    },
  ];
  if (values.stack || !guided) {
    steps.push({
      label: 'stack outputs',
      command: 'sam',
      args: [
        'list',
        'stack-outputs',
        ...(values.stack ? ['--stack-name', values.stack] : []),
        ...common,
        '--output',
        'table',
      ],
    });
  }

  for (const [i, step] of steps.entries()) {
    io.out(`[${i + 1}/${steps.length}] ${step.label}…`);
    const started = deps.now();
    let code: number;
    try {
      code = await deps.run(step.command, step.args, io.cwd);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      io.err(
        missing
          ? `${step.command} is not installed or not on PATH (see docs/deploy.md, prerequisites)`
          : String(err),
      );
      return 1;
    }
    if (code !== 0) {
      io.err(`[${i + 1}/${steps.length}] ${step.label} failed (exit ${code})`);
      return code;
    }
    io.out(
      `[${i + 1}/${steps.length}] ${step.label} done in ${((deps.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  io.out(
    'next: omnicloud telegram set-webhook' +
      (values.stack ? ` --stack ${values.stack}` : '') +
      '   (then message your bot)',
  );
  return 0;
}
