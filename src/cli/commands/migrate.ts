/**
 * `weft migrate`: installs or upgrades the queue backend and the weft schema. With no database
 * URL configured it migrates the embedded PostgreSQL (started, migrated, stopped).
 */
import type { Command } from 'commander';
import { migrateDatabase } from '../../db/migrate.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

/** Adds `weft migrate` to the program. */
export function registerMigrate(program: Command): Command {
  return program
    .command('migrate')
    .description('install or upgrade the weft schema and the queue backend (safe to run from several processes at once)')
    .action(async (_options: Record<string, never>, command: Command) => {
      const runtime = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, embedded: true, role: 'migrate' });
      try {
        const result = await migrateDatabase(runtime.databaseUrl, runtime.logger);
        const change = result.previousVersion === result.schemaVersion ? 'already current' : `was ${result.previousVersion}`;
        process.stdout.write(`weft schema version ${result.schemaVersion} (${change}); queue backend: ${result.backend}.\n`);
      } finally {
        await runtime.close();
      }
    });
}
