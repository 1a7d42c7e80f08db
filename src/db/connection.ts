/**
 * Connections: a postgres.js factory with weft's defaults, and a preflight that turns
 * "connection refused" into one sentence naming host and port.
 */
import postgres from 'postgres';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, DatabaseUnavailableError, PgSqlState, coerceError, sqlStateOf } from './errors.js';

export type Sql = postgres.Sql<Record<string, unknown>>;

export interface ConnectOptions {
  /** Shown in pg_stat_activity.application_name, e.g. `weft-orchestrator`. */
  applicationName?: string;
  /** Pool size. */
  max?: number;
  /** Called with server NOTICE messages; dropped by default. */
  onnotice?: (notice: postgres.Notice) => void;
}

/** Where a connection string points, for messages. */
export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/**
 * Parses a PostgreSQL connection string; a malformed one is a ConfigError naming the value.
 *
 * @example parseDatabaseUrl('postgres://postgres@127.0.0.1:5432/test').port // 5432
 */
export function parseDatabaseUrl(url: string, source = 'DATABASE_URL'): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `${source} is not a valid PostgreSQL URL: ${JSON.stringify(redact(url))} (expected postgres://user@host:port/database).`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(
      `${source} must start with postgres:// or postgresql://, got ${JSON.stringify(parsed.protocol)} in ${JSON.stringify(redact(url))}.`,
    );
  }
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  return {
    host: decodeURIComponent(parsed.hostname) || 'localhost',
    port,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
  };
}

/** Hides the password of a connection string. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

/** Opens a postgres.js pool with weft's defaults (no NOTICE noise, bigint as string). */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  parseDatabaseUrl(url);
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: options.onnotice ?? (() => undefined),
    connection: { application_name: options.applicationName ?? 'weft' },
    idle_timeout: 30,
    connect_timeout: 10,
    transform: { undefined: null },
  }) as Sql;
}

/** Connection refused, reset or timed out; the server starting, shutting down or crashed; a connection closed under us. */
const transientCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
  PgSqlState.cannotConnectNow, PgSqlState.adminShutdown, '57P02',
]);

/** Whether an error is what a server restart or a network blip causes: worth trying again. */
export function isTransientDbError(err: unknown): boolean {
  const code = sqlStateOf(err);
  return code !== undefined && transientCodes.has(code);
}

/** The wait before attempt `attempt + 1` (ms): 200, 400, 800, 1,600, then 3,000. */
export function connectBackoffMs(attempt: number): number {
  return Math.min(200 * 2 ** (attempt - 1), 3000);
}

/**
 * Runs `fn`, and again after a backoff (connectBackoffMs, or `delayMs`) while it fails with an
 * error `retryIf` accepts (default: a transient database error), `attempts` times at most;
 * other errors, and the last one, are thrown. The preflight uses it, and the start-up steps
 * after it: the server can go away between two of them.
 */
export async function retryTransient<T>(
  fn: () => Promise<T>,
  options: { attempts: number; delayMs?: number; retryIf?: (err: unknown) => boolean; onRetry?: (attempt: number, err: Error) => void },
): Promise<T> {
  const retryIf = options.retryIf ?? isTransientDbError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= options.attempts || !retryIf(err)) throw err;
      options.onRetry?.(attempt, coerceError(err));
      await sleep(options.delayMs ?? connectBackoffMs(attempt));
    }
  }
}

/**
 * Checks that the database answers, retrying a bounded number of times, then fails with one
 * sentence naming host and port.
 */
export async function preflight(
  url: string,
  options: { attempts?: number; delayMs?: number; onRetry?: (attempt: number, err: Error) => void } = {},
): Promise<void> {
  const target = parseDatabaseUrl(url);
  const attempts = options.attempts ?? 5;
  try {
    await retryTransient(
      async () => {
        const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => undefined, idle_timeout: 1 });
        try {
          await sql`select 1`;
        } finally {
          await sql.end({ timeout: 1 }).catch(() => undefined);
        }
      },
      // An error with no code at all (a socket that failed some other way) is tried again too.
      { attempts, delayMs: options.delayMs, onRetry: options.onRetry, retryIf: (err) => sqlStateOf(err) === undefined || isTransientDbError(err) },
    );
  } catch (err) {
    const last = coerceError(err);
    const code = sqlStateOf(err);
    if (code === PgSqlState.invalidCatalogName) {
      throw new DatabaseUnavailableError(
        `Database ${JSON.stringify(target.database)} does not exist on ${target.host}:${target.port}; create it or fix DATABASE_URL.`,
        { cause: err },
      );
    }
    if (code !== undefined && !isTransientDbError(err)) {
      throw new DatabaseUnavailableError(
        `PostgreSQL at ${target.host}:${target.port} refused user ${JSON.stringify(target.user)}: ${last.message}.`,
        { cause: err },
      );
    }
    throw new DatabaseUnavailableError(
      `Cannot reach PostgreSQL at ${target.host}:${target.port} after ${attempts} attempts (${last.message}); is the server running and DATABASE_URL right?`,
      { cause: last },
    );
  }
}
