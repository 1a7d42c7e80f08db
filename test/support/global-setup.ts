/**
 * Vitest global setup: one PostgreSQL server, one migrated template database; every test file
 * clones the template (test/support/db.ts). Databases of earlier runs are dropped here.
 */
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { migrateDatabase } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startTestServer } from './server.js';
import { TEMPLATE_DB, TEST_DB_PREFIX, withDatabase } from './urls.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer();
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const stale = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${TEST_DB_PREFIX + '%'} or datname = ${TEMPLATE_DB}`;
    for (const { datname } of stale) {
      await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    }
    await admin.unsafe(`create database "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(withDatabase(server.adminUrl, TEMPLATE_DB), silentLogger(), { preferCompat: true });
  project.provide('adminUrl', server.adminUrl);
  project.provide('templateDb', TEMPLATE_DB);
  process.env.WEFT_TEST_ADMIN_URL = server.adminUrl;
  return async () => {
    await server.stop();
  };
}
