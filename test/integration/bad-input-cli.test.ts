/**
 * The CLI's bad-input table (cases in ./bad-input-cases.ts): each command runs as a process, as a user
 * would run it, and must exit with the expected code, print one sentence containing the expected
 * fragment, and change nothing in the database (counts of every weft table and queue, a digest of
 * every task and step row). Processes are slow to start, so the cases run four at a time before the
 * assertions; since no case may change anything, every snapshot taken after a case must equal the one
 * taken before all of them.
 *
 * Also here: the size limits of `--context`, and the check that docs/errors.md lists every case of the
 * three bad-input tests (scripts/bad-input-table.ts prints that section).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/db/paths.js';
import { extractSection, renderBadInputTable } from '../../scripts/bad-input-table.js';
import { linear, snapshot } from '../sql/weft/fixtures.js';
import { runWeft, type CliResult } from '../support/cli.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { registerWorkflow, requestTask } from '../support/sql-driver.js';
import { UNKNOWN_ID, cliCases, fill, workflowFiles, type CliCase } from './bad-input-cases.js';

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

let db: TestDatabase;
let dir: string;
let values: Record<string, string>;
let baseline: Snapshot;
const outcomes = new Map<string, { result: CliResult; after: Snapshot }>();

/** Runs `run` over `items`, `width` at a time. */
async function inPool<T>(items: readonly T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

const weft = (args: string[]): Promise<CliResult> => runWeft(args, { env: { DATABASE_URL: db.url } });

beforeAll(async () => {
  db = await testDatabase('bad_input_cli');
  dir = mkdtempSync(join(tmpdir(), 'weft-bad-input-'));
  for (const [name, text] of Object.entries(workflowFiles)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  await registerWorkflow(db.sql, linear('bad', 'w', ['a', 'b']));
  const running = await requestTask(db.sql, 'bad', 'w', { n: 1 }, { idempotencyKey: 'used-key' });
  values = { dir, running, unknown: UNKNOWN_ID };
  baseline = await snapshot(db.sql);
  await inPool(cliCases, 4, async (c) => {
    const result = await weft(c.args.map((a) => fill(a, values)));
    outcomes.set(c.what, { result, after: await snapshot(db.sql) });
  });
}, 300_000);

afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('weft: bad input ends with the documented exit code, one sentence, and no change', () => {
  it('has at least 15 distinct cases', () => {
    expect(cliCases.length).toBeGreaterThanOrEqual(15);
    expect(new Set(cliCases.map((c) => c.what)).size).toBe(cliCases.length);
  });

  it.each(cliCases.map((c) => [c.what, c] as const))('%s', (_what, c: CliCase) => {
    const { result, after } = outcomes.get(c.what)!;
    expect(result.code, `stderr: ${result.stderr}`).toBe(c.exit);
    if (c.stderr !== undefined) {
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toContain(fill(c.stderr, values));
    }
    if (c.stdout !== undefined) {
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain(fill(c.stdout, values));
    }
    expect(after).toEqual(baseline);
  });

  it('left the fixture task and the workflow list as they were', async () => {
    const [t] = await db.sql`select state::text, steps_remaining from weft.tasks where task_id = ${values.running!}::uuid`;
    expect(t).toEqual({ state: 'running', steps_remaining: 2 });
    expect(await db.sql`select namespace, name from weft.workflows order by name`).toEqual([{ namespace: 'bad', name: 'w' }]);
  });
});

describe('weft task request: the size of --context', () => {
  it('accepts a 100 KB context and stores it whole', async () => {
    const context = JSON.stringify({ blob: 'z'.repeat(100_000) });
    const before = await snapshot(db.sql);
    const result = await weft(['task', 'request', 'bad/w', '--context', context]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const taskId = result.stdout.trim();
    const [row] = await db.sql<{ n: number }[]>`select octet_length(context ->> 'blob')::int as n from weft.tasks where task_id = ${taskId}::uuid`;
    expect(row).toEqual({ n: 100_000 });
    expect((await snapshot(db.sql)).tasks).toBe(Number(before.tasks) + 1);
  });

  it('a 20 MB context cannot reach weft on a command line: the OS refuses to start the process, nothing changes', async () => {
    const before = await snapshot(db.sql);
    const context = JSON.stringify({ blob: 'z'.repeat(20_000_000) });
    await expect(weft(['task', 'request', 'bad/w', '--context', context])).rejects.toMatchObject({ code: 'E2BIG' });
    expect(await snapshot(db.sql)).toEqual(before);
  });
});

describe('docs/errors.md', () => {
  it('lists every case of the three bad-input tests (regenerate: npx tsx scripts/bad-input-table.ts --write)', () => {
    const doc = readFileSync(join(packageRoot, 'docs', 'errors.md'), 'utf8');
    expect(extractSection(doc)).toBe(renderBadInputTable());
  });
});
