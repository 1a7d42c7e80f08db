/**
 * Compiles migrations/current.sql (resolving `--!include`s from sql/) into a committed
 * graphile-migrate migration, with graphile-migrate's own hash chain.
 *
 *   tsx scripts/commit-migration.ts            # write the next migration (or rewrite the last with --amend)
 *   tsx scripts/commit-migration.ts --check    # exit 1 when the last committed migration differs from current.sql
 *
 * Before the first release the baseline (000001) is amended in place; after it, every change
 * to sql/ ships as a new migration that includes the files it changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'graphile-migrate';
import { migrationsDir } from '../src/db/paths.js';

const committedDir = join(migrationsDir, 'committed');

function hashOf(body: string, previous: string | null): string {
  return 'sha1:' + createHash('sha1').update(((previous ?? '') + '\n' + body.trim()).trim() + '\n').digest('hex');
}

function header(text: string, key: string): string | null {
  const m = new RegExp(`^--! ${key}: (.*)$`, 'm').exec(text);
  return m ? m[1]!.trim() : null;
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const raw = readFileSync(join(migrationsDir, 'current.sql'), 'utf8');
  const message = header(raw, 'Message') ?? 'migration';
  const source = raw.replace(/^--! Message:.*\n/m, '');
  const body = (await compile({ connectionString: 'postgres://unused/unused', migrationsFolder: migrationsDir }, source, { filename: 'current.sql' })).trim() + '\n';
  const files = readdirSync(committedDir).filter((f) => /^\d{6}.*\.sql$/.test(f)).sort();
  const amend = args.has('--amend') || args.has('--check');
  const last = files.at(-1);
  const base = amend ? files.slice(0, -1) : files;
  const previousFile = base.at(-1);
  const previous = previousFile ? header(readFileSync(join(committedDir, previousFile), 'utf8'), 'Hash') : null;
  const number = base.length + 1;
  const name = `${String(number).padStart(6, '0')}-${message.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.sql`;
  const text = `--! Previous: ${previous ?? '-'}\n--! Hash: ${hashOf(body, previous)}\n--! Message: ${message}\n\n${body}`;
  if (args.has('--check')) {
    const current = last ? readFileSync(join(committedDir, last), 'utf8') : '';
    if (current !== text) {
      console.error(`migrations/committed/${last ?? '(none)'} is out of date with sql/: run \`npm run migrations:commit -- --amend\`.`);
      process.exit(1);
    }
    console.log(`migrations/committed/${last} matches sql/.`);
    return;
  }
  writeFileSync(join(committedDir, name), text);
  console.log(`wrote migrations/committed/${name}`);
}

await main();
