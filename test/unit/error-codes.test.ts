/**
 * The SQLSTATE list is kept in three places — weft.error_codes (SQL), WeftSqlState (TS) and
 * docs/errors.md — and they must agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftSqlState } from '../../src/db/errors.js';
import { packageRoot } from '../../src/db/paths.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('error_codes');
});
afterAll(async () => {
  await db.drop();
});

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

describe('SQLSTATE list', () => {
  it('weft.error_codes, WeftSqlState and docs/errors.md name the same codes', async () => {
    const rows = await db.sql<{ sqlstate: string; name: string }[]>`select sqlstate, name from weft.error_codes order by sqlstate`;
    const fromSql = Object.fromEntries(rows.map((r) => [camel(r.name), r.sqlstate]));
    expect(fromSql).toEqual({ ...WeftSqlState });
    const doc = readFileSync(join(packageRoot, 'docs', 'errors.md'), 'utf8');
    for (const r of rows) expect(doc).toMatch(new RegExp(`\\| ${r.sqlstate} \\| ${r.name} \\|`));
  });
});
