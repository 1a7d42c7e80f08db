/**
 * Small helpers shared by the behaviour tests of the pgmq compat schema (core-*.test.ts):
 * a session that records NOTICE/WARNING messages, error capture, unique queue names, and
 * waiting until another session is blocked inside a function.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Sql } from '../../../src/db/connection.js';

/** A NOTICE or WARNING as the client received it. */
export interface Notice {
  severity: string;
  code: string;
  message: string;
}

/** A one-connection pool on `url` that keeps every NOTICE/WARNING it receives. */
export interface NoticeSession {
  sql: Sql;
  notices: Notice[];
  /** Returns the notices received so far and forgets them. */
  take(): Notice[];
  end(): Promise<void>;
}

/** Opens a session that records notices (postgres.js `onnotice`). */
export function noticeSession(url: string): NoticeSession {
  const notices: Notice[] = [];
  const sql = postgres(url, {
    max: 1,
    onnotice: (n) => notices.push({ severity: String(n.severity), code: String(n.code), message: String(n.message) }),
  }) as unknown as Sql;
  return {
    sql,
    notices,
    take: () => notices.splice(0, notices.length),
    end: () => sql.end({ timeout: 5 }),
  };
}

/** The SQLSTATE and message a query failed with; fails the test when it succeeded. */
export async function failure(query: PromiseLike<unknown>): Promise<{ code: string; message: string }> {
  try {
    await query;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return { code: String(e.code), message: String(e.message) };
  }
  throw new Error('expected the query to fail, but it succeeded');
}

/** A queue name unique within a test database: `<prefix>_<hex>`. */
export function queueName(prefix = 'q'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/**
 * Waits until a backend whose query contains `fragment` (and is not this lookup) is active in
 * pg_stat_activity of the current database, i.e. another session is inside that call. Gives up
 * (throws) after about a minute, so a query that never starts fails the test instead of hanging.
 */
export async function waitForActiveQuery(sql: Sql, fragment: string): Promise<void> {
  for (let attempt = 0; attempt < 3000; attempt++) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n
      from pg_catalog.pg_stat_activity
      where datname = current_database()
        and pid <> pg_catalog.pg_backend_pid()
        and state = 'active'
        and position(${fragment} in query) > 0`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no other session ever ran a query containing ${JSON.stringify(fragment)}`);
}

/** The ids of a setof-bigint result (postgres.js returns bigint as string). */
export function ids<T extends object>(rows: readonly T[], column: keyof T): string[] {
  return rows.map((r) => String(r[column]));
}
