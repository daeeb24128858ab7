// Bakes agent-config/commands.yaml into src/generated/telegram-commands.ts, so the Telegram ingress
// Lambda (a single esbuild bundle without the agent-config folder) knows the bot's commands.
// Run by `npm run build`; test/deploy checks the generated file is in sync with the YAML.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseCommandsConfig } from '../src/telegram/config.js';

const root = resolve(import.meta.dirname, '..');

export function renderCommandsModule(yamlText: string): string {
  const commands = parseCommandsConfig(parse(yamlText), 'agent-config/commands.yaml');
  return [
    '// Generated from agent-config/commands.yaml by scripts/generate-commands.ts — do not edit.',
    '',
    `export const TELEGRAM_COMMANDS: unknown = ${JSON.stringify({ commands }, null, 2)};`,
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const yamlText = readFileSync(join(root, 'agent-config/commands.yaml'), 'utf8');
  writeFileSync(join(root, 'src/generated/telegram-commands.ts'), renderCommandsModule(yamlText));
}
