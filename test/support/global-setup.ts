/**
 * Vitest global setup: one PostgreSQL server, one migrated template database; every test file
 * clones the template (test/support/db.ts). Databases of earlier runs are dropped here.
 */
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { migrateDatabase } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startTestServer } from './server.js';
import { STALE_AFTER_MS, newRunId, runStartOf, templateName, testDbPrefix, withDatabase } from './urls.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    testDbPrefix: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer();
  const runId = newRunId();
  const template = templateName(runId);
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    // Drop what crashed runs left behind (only databases of runs older than STALE_AFTER_MS).
    const ours = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'weft\\_t\\_%'`;
    for (const { datname } of ours) {
      const started = runStartOf(datname);
      if (started !== null && Date.now() - started > STALE_AFTER_MS) {
        await admin.unsafe(`drop database if exists "${datname}" with (force)`);
      }
    }
    await admin.unsafe(`create database "${template}"`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(withDatabase(server.adminUrl, template), silentLogger(), { preferCompat: true });
  project.provide('adminUrl', server.adminUrl);
  project.provide('templateDb', template);
  project.provide('testDbPrefix', testDbPrefix(runId));
  process.env.WEFT_TEST_ADMIN_URL = server.adminUrl;
  return async () => {
    const a = postgres(server.adminUrl, { max: 1, onnotice: () => undefined });
    try {
      await a.unsafe(`drop database if exists "${template}" with (force)`);
    } finally {
      await a.end();
    }
    await server.stop();
  };
}
