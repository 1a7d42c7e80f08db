import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { knownSchemaVersion } from '../../src/db/migrate.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('migrate');
});
afterAll(async () => {
  await db.drop();
});

describe('weft migrate (template database)', () => {
  it('records the installed schema version and queue backend', async () => {
    const rows = await db.sql<{ key: string; value: string }[]>`select key, value from weft.installation order by key`;
    const map = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    expect(map.schema_version).toBe(String(knownSchemaVersion()));
    expect(map.queue_backend).toBe('compat');
  });
});
