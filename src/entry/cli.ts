// The `omnicloud` command (bin/omnicloud.js runs the compiled copy of this file).
import { runCli } from '../cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
