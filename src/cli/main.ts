/**
 * Entry point of the `weft` command (bin/weft.js loads it; `npm run weft -- <args>` runs it
 * with tsx). Exits explicitly: pools, timers or the embedded server must not keep the process
 * alive after the command has finished, and the exit code is the command's.
 */
import { runCli } from './program.js';

process.exit(await runCli(process.argv));
