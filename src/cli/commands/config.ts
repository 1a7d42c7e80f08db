/** `weft config`: the effective configuration, each value with its source, the password hidden. */
import type { Command } from 'commander';
import { formatConfig, redactedConfig, describeSource } from '../../config/index.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

/** Adds `weft config` to the program. */
export function registerConfig(program: Command): Command {
  return program
    .command('config')
    .description('print the effective configuration and where each value came from')
    .option('--json', 'print JSON: { environment, files, config, sources }')
    .action(async (options: { json?: boolean }, command: Command) => {
      const runtime = await openRuntime(command.optsWithGlobals<GlobalOptions>());
      try {
        const { loaded } = runtime;
        if (options.json) {
          const sources = Object.fromEntries(Object.entries(loaded.sources).map(([k, s]) => [k, describeSource(s)]));
          const out = { environment: loaded.environment, files: loaded.files, config: redactedConfig(loaded.config), sources };
          process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        } else {
          process.stdout.write(formatConfig(loaded));
        }
      } finally {
        await runtime.close();
      }
    });
}
