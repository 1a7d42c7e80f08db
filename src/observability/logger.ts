/**
 * The pino root logger. JSON by default; readable (pino-pretty) when `pretty` is set, as in
 * `weft dev`. Components take a `child()` with their name and ids.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: LevelWithSilent;
  pretty?: boolean;
  /** Extra fields on every line (e.g. the process role). */
  base?: Record<string, unknown>;
}

/** Creates the process's root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (options.pretty) {
    return pino({
      level,
      base: options.base ?? null,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: options.base ?? { pid: process.pid } });
}

/** A logger that writes nothing (library default). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
