/**
 * The one place a command ends with an error: a WeftError prints its sentence and exits with
 * its code (2 config, 3 database unreachable, 4 schema); a commander usage error exits 2; any
 * other error prints its message and exits 1.
 */
import { CommanderError } from 'commander';
import { WeftError, coerceError } from '../db/errors.js';

/** Exit code for a usage error (unknown command or option, missing argument). */
export const USAGE_EXIT_CODE = 2;

/** Commander's codes for help and version output, which are not errors. */
const informational = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * Prints the error (one line to stderr) and returns the process exit code.
 *
 * @example process.exit(reportError(new ConfigError('…'))) // prints '…', exits 2
 */
export function reportError(err: unknown, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): number {
  if (err instanceof CommanderError) {
    if (informational.has(err.code)) return err.exitCode;
    // `weft` with no command: commander has printed the help already.
    if (err.code === 'commander.help') return USAGE_EXIT_CODE;
    write(oneLine(err.message));
    return USAGE_EXIT_CODE;
  }
  if (err instanceof WeftError) {
    write(oneLine(err.message));
    return err.exitCode;
  }
  write(oneLine(coerceError(err).message));
  return 1;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
