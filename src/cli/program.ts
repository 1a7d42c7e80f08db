/**
 * The `weft` commander program: global options, the commands of ./commands, and one error path
 * (errors.ts) for every command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ENVIRONMENTS, LOG_LEVELS } from '../config/index.js';
import { packageRoot } from '../db/paths.js';
import { commandRegistry, plannedCommands } from './commands/index.js';
import { registerPlanned } from './commands/planned.js';
import { reportError } from './errors.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/**
 * Builds the program without running it (tests ask it for its command names).
 *
 * @example createProgram().commands.map((c) => c.name()) // ['dev', 'migrate', …]
 */
export function createProgram(): Command {
  const program = new Command('weft')
    .description('weft: workflow (DAG) orchestration on PostgreSQL')
    .version(packageVersion(), '-V, --version')
    .option('--config-dir <dir>', 'folder with default.toml and the environment overlays (env WEFT_CONFIG_DIR)')
    .addOption(new Option('--env <name>', `configuration overlay: ${ENVIRONMENTS.join(', ')} (env WEFT_ENV; default development)`))
    .addOption(new Option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (env WEFT_LOG_LEVEL)`))
    .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL or WEFT_DATABASE_URL); unset: embedded PostgreSQL')
    .exitOverride()
    .showSuggestionAfterError(true)
    // errors are printed once, by reportError
    .configureOutput({ outputError: () => undefined });
  for (const register of commandRegistry) register(program);
  for (const planned of plannedCommands) {
    if (!program.commands.some((c) => c.name() === planned.name)) registerPlanned(program, planned);
  }
  return program;
}

/**
 * Runs the CLI and returns the exit code (the caller exits with it).
 *
 * @example process.exit(await runCli(process.argv))
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv]);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
