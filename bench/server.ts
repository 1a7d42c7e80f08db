/**
 * The one PostgreSQL the benchmark runs on: an embedded server started for the run (the
 * default; with pg_stat_statements preloaded when its binaries ship it), or the server of
 * DATABASE_URL. Records its version and settings, creates and drops one database per system,
 * and reads pg_stat_statements / pg_stat_database for the profile and the idle-query figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Sql } from '../src/db/connection.js';
import { freePort, startEmbedded } from '../src/db/embedded.js';

export interface ServerInfo {
  kind: 'embedded' | 'external';
  version: string;
  settings: Record<string, string>;
  pgStatStatements: boolean;
}

export interface BenchServer {
  /** URL of the server's maintenance database (`postgres` or the one given). */
  adminUrl: string;
  info: ServerInfo;
  admin: Sql;
  /** URL of a database on this server. */
  urlOf(database: string): string;
  /** Drops (if present) and creates a database, optionally from a template. */
  createDatabase(name: string, template?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Turns statement tracking on (`top`/`all`) or off, when this run manages the server. */
  setStatementTracking(mode: 'none' | 'top' | 'all'): Promise<void>;
  resetStatements(): Promise<void>;
  /** The most expensive statements run in a database since the last reset. */
  topStatements(database: string, limit: number): Promise<StatementStat[]>;
  /** Statements (pg_stat_statements calls, else committed transactions) issued in a database so far. */
  statementCount(database: string): Promise<{ source: 'pg_stat_statements' | 'pg_stat_database'; count: number }>;
  close(): Promise<void>;
}

export interface StatementStat {
  query: string;
  toplevel: boolean;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

const SETTINGS = [
  'server_version', 'shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem', 'maintenance_work_mem',
  'effective_cache_size', 'wal_level', 'max_wal_size', 'checkpoint_timeout', 'shared_preload_libraries', 'autovacuum',
];

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

async function readInfo(admin: Sql, kind: ServerInfo['kind']): Promise<ServerInfo> {
  const [v] = await admin<{ version: string }[]>`select version()`;
  const rows = await admin<{ name: string; value: string }[]>`
    select name, current_setting(name) as value from pg_settings where name = any(${SETTINGS}) order by name`;
  const settings: Record<string, string> = {};
  for (const r of rows) settings[r.name] = r.value;
  const preload = settings.shared_preload_libraries ?? '';
  return { kind, version: v!.version, settings, pgStatStatements: preload.split(',').map((s) => s.trim()).includes('pg_stat_statements') };
}

/**
 * Starts the embedded server in a fresh folder (restarted once with pg_stat_statements
 * preloaded) or attaches to `databaseUrl`.
 *
 * @example const server = await openServer(process.env.DATABASE_URL, log); … await server.close();
 */
export async function openServer(databaseUrl: string | undefined, log: (line: string) => void): Promise<BenchServer> {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let adminUrl: string;
  let kind: ServerInfo['kind'];
  if (databaseUrl) {
    adminUrl = databaseUrl;
    kind = 'external';
  } else {
    const root = mkdtempSync(join(tmpdir(), 'weft-bench-'));
    const dataDir = join(root, 'pg');
    const port = await freePort();
    log(`starting an embedded PostgreSQL in ${dataDir} on port ${port}`);
    let server = await startEmbedded({ dataDir, port });
    try {
      // Preload pg_stat_statements (the embedded binaries ship it); tracking stays off until asked.
      const first = connect(server.url, { max: 1 });
      try {
        await first.unsafe(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
      } finally {
        await first.end({ timeout: 5 });
      }
      await server.stop();
      server = await startEmbedded({ dataDir, port });
      const second = connect(server.url, { max: 1 });
      try {
        await second.unsafe(`alter system set pg_stat_statements.track = 'none'`);
        await second`select pg_reload_conf()`;
      } finally {
        await second.end({ timeout: 5 });
      }
    } catch (err) {
      await server.stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
      throw err;
    }
    adminUrl = server.url;
    kind = 'embedded';
    const running = server;
    stopEmbedded = async () => {
      await running.stop();
      rmSync(root, { recursive: true, force: true });
    };
  }
  const admin = connect(adminUrl, { max: 2, applicationName: 'weft-bench' });
  let info: ServerInfo;
  try {
    info = await readInfo(admin, kind);
    if (info.pgStatStatements) await admin.unsafe('create extension if not exists pg_stat_statements');
  } catch (err) {
    await admin.end({ timeout: 5 });
    await stopEmbedded?.();
    throw err;
  }
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return {
    adminUrl,
    info,
    admin,
    urlOf: (database) => withDatabase(adminUrl, database),
    async createDatabase(name, template) {
      await admin.unsafe(`drop database if exists ${quote(name)} with (force)`);
      await admin.unsafe(`create database ${quote(name)}${template ? ` template ${quote(template)}` : ''}`);
      return withDatabase(adminUrl, name);
    },
    async dropDatabase(name) {
      await admin.unsafe(`drop database if exists ${quote(name)} with (force)`);
    },
    async setStatementTracking(mode) {
      if (!info.pgStatStatements || kind !== 'embedded') return;
      await admin.unsafe(`alter system set pg_stat_statements.track = '${mode}'`);
      await admin`select pg_reload_conf()`;
      // A reload reaches every backend at its next command; give them a moment.
      await new Promise((r) => setTimeout(r, 300));
    },
    async resetStatements() {
      if (info.pgStatStatements) await admin`select pg_stat_statements_reset()`;
    },
    async topStatements(database, limit) {
      if (!info.pgStatStatements) return [];
      const rows = await admin<{ query: string; toplevel: boolean; calls: string; total: number; mean: number; rows: string }[]>`
        select s.query, s.toplevel, s.calls, s.total_exec_time as total, s.mean_exec_time as mean, s.rows
        from pg_stat_statements s join pg_database d on d.oid = s.dbid
        where d.datname = ${database}
        order by s.total_exec_time desc limit ${limit}`;
      return rows.map((r) => ({
        query: r.query.replace(/\s+/g, ' ').slice(0, 300),
        toplevel: r.toplevel,
        calls: Number(r.calls),
        totalMs: Math.round(r.total * 10) / 10,
        meanMs: Math.round(r.mean * 1000) / 1000,
        rows: Number(r.rows),
      }));
    },
    async statementCount(database) {
      if (info.pgStatStatements) {
        const [row] = await admin<{ n: string | null }[]>`
          select sum(s.calls) as n from pg_stat_statements s join pg_database d on d.oid = s.dbid
          where d.datname = ${database} and s.toplevel`;
        return { source: 'pg_stat_statements', count: Number(row?.n ?? 0) };
      }
      await admin`select pg_stat_clear_snapshot()`;
      const [row] = await admin<{ n: string }[]>`select xact_commit + xact_rollback as n from pg_stat_database where datname = ${database}`;
      return { source: 'pg_stat_database', count: Number(row?.n ?? 0) };
    },
    async close() {
      await admin.end({ timeout: 5 });
      await stopEmbedded?.();
    },
  };
}

/** A short-lived connection to one database (for adapters that need plain SQL). */
export function openDatabase(url: string, max = 4, applicationName = 'weft-bench'): Sql {
  return connect(url, { max, applicationName });
}
