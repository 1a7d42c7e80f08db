/**
 * `weft doctor`: connects and reports the server version, the queue backend and the installed
 * vs known schema version. Exits 4 when the schema is not the one this build knows.
 */
import type { Command } from 'commander';
import { redact } from '../../db/connection.js';
import { assertSchemaVersion } from '../../db/migrate.js';
import { describeBackend, describeSchema, inspectDatabase } from '../inspect.js';
import { openRuntime, type GlobalOptions } from '../runtime.js';

/** Adds `weft doctor` to the program. */
export function registerDoctor(program: Command): Command {
  return program
    .command('doctor')
    .description('check the database: server version, queue backend, schema version')
    .action(async (_options: Record<string, never>, command: Command) => {
      const runtime = await openRuntime(command.optsWithGlobals<GlobalOptions>(), { needsDatabase: true, embedded: true, role: 'doctor' });
      try {
        const report = await inspectDatabase(runtime.sql);
        const where = runtime.embedded ? `embedded (${runtime.embedded.dataDir}, port ${runtime.embedded.port})` : redact(runtime.databaseUrl);
        const lines = [
          `database:      ${where}`,
          `server:        ${report.serverVersion}`,
          `queue backend: ${describeBackend(report)}`,
          `schema:        ${describeSchema(report)}`,
          `queues:        ${report.queues === null ? '-' : report.queues.length}`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
        // the same sentences (and exit code 4) as every command that needs a current schema
        await assertSchemaVersion(runtime.sql);
      } finally {
        await runtime.close();
      }
    });
}
