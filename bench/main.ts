/**
 * `npm run bench [-- flags]`: the same command as `weft bench [flags]` (src/cli/commands/bench.ts).
 *
 * @example npm run bench -- --quick --systems weft,pg-boss
 */
import { runCli } from '../src/cli/program.js';

process.exit(await runCli([process.argv[0]!, 'weft', 'bench', ...process.argv.slice(2)]));
