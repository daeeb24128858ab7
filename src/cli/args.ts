import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OmniError } from '../core/errors.js';

/** Bad command-line usage: printed with the command's help, exit code 2. */
export class UsageError extends OmniError {
  constructor(message: string) {
    super('usage', message, { status: 400 });
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with our error type (no stack traces for a typo). */
export function parseCommandArgs<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
