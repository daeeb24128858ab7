import { defaultAgentConfigDir } from '../config/agent-config/index.js';
import { parseCommandArgs, UsageError } from './args.js';
import { runConfigCheck } from './config-check.js';

export const CONFIG_HELP = `Usage: omnicloud config check [--config-dir DIR]

Validates an agent-config folder (agents.json, mcp.json, skills/, system_prompt.md) and lists every
problem with its file and field. Default folder: OMNICLOUD_CONFIG_DIR, else the repo's agent-config/.`;

export interface ConfigCommandIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

/** `omnicloud config <subcommand>`. */
export async function runConfigCommand(argv: string[], io: ConfigCommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') {
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.out(CONFIG_HELP);
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown config command "${sub}"\n\n${CONFIG_HELP}`);
  }
  const { values } = parseCommandArgs(rest, {
    'config-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(CONFIG_HELP);
    return 0;
  }
  const configDir = values['config-dir'] ?? io.env.OMNICLOUD_CONFIG_DIR ?? defaultAgentConfigDir();
  return runConfigCheck({ configDir, env: io.env, out: io.out, err: io.err });
}
