// `npm start`: the whole system on one machine (see src/cli/start.ts).
import { runCli } from '../cli/main.js';

process.exitCode = await runCli(['start', ...process.argv.slice(2)]);
