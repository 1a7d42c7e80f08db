/**
 * `weft migrate` as a process: idempotent, safe to run twice at once, refuses a newer schema,
 * and leaves nothing behind when the role may not create schemas.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { knownSchemaVersion } from '../../src/db/migrate.js';
import { migrationsDir } from '../../src/db/paths.js';
import { runWeft } from '../support/cli.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { withDatabase } from '../support/urls.js';

const adminUrl = inject('adminUrl');
const created: string[] = [];
const committedMigrations = readdirSync(join(migrationsDir, 'committed')).filter((f) => f.endsWith('.sql')).length;

async function admin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** An empty database (not the migrated template); dropped after the file. */
async function emptyDatabase(label: string): Promise<string> {
  const name = `${inject('testDbPrefix')}${label}_${randomBytes(4).toString('hex')}`;
  await admin((sql) => sql.unsafe(`create database "${name}"`));
  created.push(name);
  return name;
}

/** What is installed in a database: schemas and the rows graphile-migrate keeps. */
async function installed(database: string): Promise<{ schemas: string[]; migrations: number; version: string | null }> {
  const sql = postgres(withDatabase(adminUrl, database), { max: 1, onnotice: () => undefined });
  try {
    const schemas = (
      await sql<{ nspname: string }[]>`
        select nspname from pg_namespace where nspname in ('weft', 'pgmq', 'graphile_migrate') order by nspname`
    ).map((r) => r.nspname);
    if (!schemas.includes('weft')) return { schemas, migrations: 0, version: null };
    const [m] = await sql<{ n: number }[]>`select count(*)::int as n from graphile_migrate.migrations`;
    const [v] = await sql<{ value: string }[]>`select value from weft.installation where key = 'schema_version'`;
    return { schemas, migrations: m?.n ?? 0, version: v?.value ?? null };
  } finally {
    await sql.end();
  }
}

let scratch: TestDatabase;
beforeAll(async () => {
  scratch = await testDatabase('cli_migrate');
});

afterAll(async () => {
  await scratch.drop();
  await admin(async (sql) => {
    for (const name of created) await sql.unsafe(`drop database if exists "${name}" with (force)`);
  });
});

describe('weft migrate', () => {
  it('installs everything on an empty database, and a second run changes nothing', async () => {
    const database = await emptyDatabase('migrate_twice');
    const env = { DATABASE_URL: withDatabase(adminUrl, database) };

    const first = await runWeft(['migrate'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`weft schema version ${knownSchemaVersion()} (was 0)`);
    const after = await installed(database);
    expect(after).toEqual({ schemas: ['graphile_migrate', 'pgmq', 'weft'], migrations: committedMigrations, version: String(knownSchemaVersion()) });

    const second = await runWeft(['migrate'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already current');
    expect(await installed(database)).toEqual(after);
  });

  it('lets two processes migrate one empty database at once: both succeed, the schema is installed once', async () => {
    const database = await emptyDatabase('migrate_race');
    const env = { DATABASE_URL: withDatabase(adminUrl, database) };
    const [a, b] = await Promise.all([runWeft(['migrate'], { env }), runWeft(['migrate'], { env })]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    // one of them did the work, the other found it done
    expect([a.stdout, b.stdout].filter((out) => out.includes('(was 0)'))).toHaveLength(1);
    expect([a.stdout, b.stdout].filter((out) => out.includes('already current'))).toHaveLength(1);
    expect(await installed(database)).toEqual({
      schemas: ['graphile_migrate', 'pgmq', 'weft'],
      migrations: committedMigrations,
      version: String(knownSchemaVersion()),
    });
  });

  it('refuses a database holding a newer weft schema (exit 4, one sentence), and so does doctor', async () => {
    await scratch.sql`
      insert into graphile_migrate.migrations (hash, previous_hash, filename)
      select 'sha1:from-the-future', (select hash from graphile_migrate.migrations order by date desc, filename desc limit 1), '999999-from-the-future.sql'`;
    const env = { DATABASE_URL: scratch.url };
    const migrate = await runWeft(['migrate'], { env });
    expect(migrate.code).toBe(4);
    expect(migrate.stderr.trim()).toBe(
      `The database has weft schema version 999999, newer than this weft build knows (${knownSchemaVersion()}); upgrade weft before running it against this database.`,
    );
    const doctor = await runWeft(['doctor'], { env });
    expect(doctor.code).toBe(4);
    expect(doctor.stdout).toContain('newer than this build knows');
    expect(doctor.stderr).toContain('weft schema version 999999');
  });

  it('fails clearly for a role without CREATE rights and installs nothing', async () => {
    const database = await emptyDatabase('norights');
    await admin(async (sql) => {
      await sql.unsafe(`
        do $$ begin
          if not exists (select 1 from pg_roles where rolname = 'weft_norights') then
            create role weft_norights login password 'norights';
          end if;
        end $$`);
      await sql.unsafe(`revoke create on database "${database}" from public`);
      await sql.unsafe(`grant connect on database "${database}" to weft_norights`);
    });
    const url = new URL(withDatabase(adminUrl, database));
    url.username = 'weft_norights';
    url.password = 'norights';

    const result = await runWeft(['migrate'], { env: { DATABASE_URL: url.toString() } });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Role "weft_norights" lacks the rights to install weft');
    expect(lines[0]).not.toContain('norights@');
    expect((await installed(database)).schemas).toEqual([]);
  });
});
