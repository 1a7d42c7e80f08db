/**
 * A fresh, migrated database for one test file, cloned from the template built by the global
 * setup. Dropped after the file when its tests passed; kept for inspection when one failed.
 *
 * @example
 *   const db = await testDatabase();         // in beforeAll
 *   await db.sql`select pgmq.create('q')`;
 *   await db.drop();                          // in afterAll
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { connect, type Sql } from '../../src/db/connection.js';
import { withDatabase } from './urls.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A pool on the test database. */
  sql: Sql;
  /** Opens another independent pool (another session) on the same database. */
  connect(max?: number): Sql;
  /** Drops the database (closing every pool opened through this object first). */
  drop(options?: { keepOnFailure?: boolean }): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminUrl');
}

async function cloneTemplate(admin: postgres.Sql, name: string, template: string): Promise<void> {
  // Two clones of one template at the same instant can fail with "source database is being
  // accessed by other users"; that is transient, so retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.unsafe(`create database "${name}" template "${template}"`);
      return;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

export async function testDatabase(label = 'db'): Promise<TestDatabase> {
  const root = adminUrl();
  const template = inject('templateDb');
  const name = `${inject('testDbPrefix')}${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 24)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(root, { max: 1, onnotice: () => undefined });
  try {
    await cloneTemplate(admin, name, template);
  } finally {
    await admin.end();
  }
  const url = withDatabase(root, name);
  const pools: Sql[] = [];
  const open = (max = 5): Sql => {
    const s = connect(url, { max, applicationName: 'weft-test' });
    pools.push(s);
    return s;
  };
  const sql = open(10);
  return {
    name,
    url,
    sql,
    connect: open,
    async drop(options = {}) {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
      if (options.keepOnFailure) return;
      const a = postgres(root, { max: 1, onnotice: () => undefined });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
