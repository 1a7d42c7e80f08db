/**
 * The CLI's error path and its small commands, as processes: exit codes 2 (configuration or
 * usage), 3 (database unreachable), 4 (schema), each with one sentence on stderr.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { knownSchemaVersion } from '../../src/db/migrate.js';
import { runWeft, type CliResult } from '../support/cli.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { withDatabase } from '../support/urls.js';

/** The one line a failing command prints. */
function sentence(result: CliResult): string {
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0]!;
}

let db: TestDatabase;
let workDir: string;
beforeAll(async () => {
  db = await testDatabase('cli_commands');
  workDir = mkdtempSync(join(tmpdir(), 'weft-cli-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('weft: failures end with one sentence and a documented exit code', () => {
  it('exits 3 naming host and port when the database is unreachable', async () => {
    const result = await runWeft(['migrate'], { env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' } });
    expect(result.code).toBe(3);
    const line = sentence(result);
    expect(line).toContain('Cannot reach PostgreSQL at 127.0.0.1:1');
    expect(line).toContain('after 2 attempts'); // database.connect_attempts in config/test.toml
  });

  it('exits 3 when the database does not exist', async () => {
    const url = new URL(db.url);
    url.pathname = '/weft_no_such_database';
    const result = await runWeft(['doctor'], { env: { DATABASE_URL: url.toString() } });
    expect(result.code).toBe(3);
    expect(sentence(result)).toContain('Database "weft_no_such_database" does not exist');
  });

  it('exits 2 for a malformed DATABASE_URL, naming the variable and the value', async () => {
    const result = await runWeft(['migrate'], { env: { DATABASE_URL: 'not a url' } });
    expect(result.code).toBe(2);
    expect(sentence(result)).toContain('database.url = "not a url" from environment variable DATABASE_URL');
  });

  it('exits 2 for an unknown key in a config file, naming the key and the file', async () => {
    const dir = join(workDir, 'bad-key');
    mkdirSync(dir);
    writeFileSync(join(dir, 'default.toml'), '[worker]\nconcurency = 8\n');
    const result = await runWeft(['--config-dir', dir, 'config']);
    expect(result.code).toBe(2);
    const line = sentence(result);
    expect(line).toContain('Unknown configuration key worker.concurency');
    expect(line).toContain(join(dir, 'default.toml'));
  });

  it('exits 2 for an unknown WEFT_ variable and for a bad flag value', async () => {
    const variable = await runWeft(['config'], { env: { WEFT_WORKER_CONCURENCY: '8' } });
    expect(variable.code).toBe(2);
    expect(sentence(variable)).toContain('WEFT_WORKER_CONCURENCY');
    const flag = await runWeft(['--log-level', 'chatty', 'config']);
    expect(flag.code).toBe(2);
    expect(sentence(flag)).toContain('log.level = "chatty" from flag --log-level');
  });

  it('exits 2 for a usage error', async () => {
    const command = await runWeft(['migrat']);
    expect(command.code).toBe(2);
    expect(sentence(command)).toContain("unknown command 'migrat'");
    const option = await runWeft(['migrate', '--fast']);
    expect(option.code).toBe(2);
    expect(sentence(option)).toContain("unknown option '--fast'");
  });

  it('exits 4 from doctor when the database has no weft schema yet', async () => {
    const name = `${inject('testDbPrefix')}cli_empty_${randomBytes(4).toString('hex')}`;
    const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`create database "${name}"`);
      const result = await runWeft(['doctor'], { env: { DATABASE_URL: withDatabase(inject('adminUrl'), name) } });
      expect(result.code).toBe(4);
      expect(result.stdout).toContain('queue backend: not installed');
      expect(sentence(result)).toBe(`The database has weft schema version 0 but this build needs ${knownSchemaVersion()}; run \`weft migrate\` first.`);
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});

describe('weft doctor', () => {
  it('reports server version, queue backend and schema version of a migrated database', async () => {
    const result = await runWeft(['doctor'], { env: { DATABASE_URL: db.url } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/server: +PostgreSQL \d+/);
    expect(result.stdout).toMatch(/queue backend: +(weft pgmq-compat schema|pgmq extension)/);
    expect(result.stdout).toContain(`schema:        ${knownSchemaVersion()} (up to date)`);
  });
});

describe('weft dev --check with a database URL', () => {
  it('uses that server instead of starting the embedded one', async () => {
    const result = await runWeft(['dev', '--check'], { env: { DATABASE_URL: db.url, WEFT_LOG_LEVEL: 'warn' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('weft dev --check: ok');
    expect(result.stdout).toMatch(/server: +PostgreSQL \d+.* at postgres:\/\//);
    expect(result.stdout).not.toContain('(embedded,');
  });
});

describe('weft config', () => {
  it('prints the effective values with their sources and hides the database password', async () => {
    const result = await runWeft(['--log-level', 'debug', 'config'], {
      env: { DATABASE_URL: 'postgres://app:hunter2@db.internal:5432/weft', WEFT_API_PORT: '9100' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# environment: test');
    expect(result.stdout).toContain('url = "postgres://app:***@db.internal:5432/weft"  # environment variable DATABASE_URL');
    expect(result.stdout).toContain('port = 9100  # environment variable WEFT_API_PORT');
    expect(result.stdout).toContain('level = "debug"  # flag --log-level');
    expect(result.stdout).toContain('connect_attempts = 2  # config/test.toml');
    expect(result.stdout).not.toContain('hunter2');
  });

  it('prints JSON with --json', async () => {
    const result = await runWeft(['config', '--json'], { env: { WEFT_ENV: 'production' } });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { environment: string; config: { api: { host: string } }; sources: Record<string, string> };
    expect(out.environment).toBe('production');
    expect(out.config.api.host).toBe('0.0.0.0');
    expect(out.sources['api.host']).toBe('config/production.toml');
  });
});
