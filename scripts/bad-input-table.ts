/**
 * Prints the section "The bad-input table" of docs/errors.md from the case lists of the three
 * bad-input tests (test/sql/weft/bad-input-rows.ts, test/integration/bad-input-cases.ts); with
 * `--write` it replaces that section in docs/errors.md (or appends it). A test in
 * test/integration/bad-input-cli.test.ts fails when the docs and the lists differ.
 *
 * @example npx tsx scripts/bad-input-table.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/db/paths.js';
import { cliCases, limitCases, queueCases, type LimitCase, type QueueCase } from '../test/integration/bad-input-cases.js';
import { badInputSqlRows } from '../test/sql/weft/bad-input-rows.js';

export const SECTION_HEADING = '## The bad-input table';

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** A code span that survives backticks in the text. */
function code(text: string): string {
  const t = cell(text);
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

/** Quotes one shell argument when it needs it. */
function shellArg(arg: string): string {
  return /^[A-Za-z0-9_./{}=:@,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function queueSurface(q: QueueCase): string {
  return q.queue === 'badwq' ? 'queue: a namespace queue, TS worker' : `queue: ${q.queue}`;
}

function queueOutcome(q: QueueCase): string {
  if (q.ends === 'rejected') return 'archived; weft.rejected_results';
  return `dead letter + archive, ${q.sqlstate ? `SQLSTATE ${q.sqlstate}` : 'no SQLSTATE (message parser)'}`;
}

const intro = `Every row is a test: the input must end as the table says, with a message containing the
fragment, and change nothing else — the row counts of every weft table and queue and a digest of every
task and step row are the same before and after (a queue case adds only its dead letter, or its
rejected result, and the archived message). SQL rows: \`test/sql/weft/bad-input.test.ts\`; CLI rows:
\`test/integration/bad-input-cli.test.ts\`; queue rows: \`test/integration/bad-input-queues.test.ts\`.
This section is printed from those tests' case lists by \`npx tsx scripts/bad-input-table.ts --write\`;
a test fails when the two differ.

- **CLI exit codes.** 2 when the command line alone is wrong (malformed JSON, not a date, not a UUID,
  a reference without a name, a number flag out of range, a missing handler choice) — checked before
  the database is touched; 1 when the database refuses (an unknown workflow, task or step, a value the
  SQL functions validate such as a priority or an idempotency key, a state change that is not allowed,
  an invalid workflow file). \`workflows apply\` of a folder registers all of its files or none.
- **Queue messages.** A dead letter is a row of \`weft.dead_letters\` (queue, msg_id, message, reason,
  SQLSTATE) and the message moved to \`pgmq.a_<queue>\`. A result for a superseded attempt is a normal
  event, not a dead letter: it is recorded in \`weft.rejected_results\` and archived. The TS worker
  dead-letters a step message its parser refuses (no SQLSTATE) and one whose report the database
  refuses because the step or the attempt does not exist (WF006, WF007).
- **Names with quotes and semicolons** are data everywhere: they appear, quoted, in the message.
- **Placeholders.** \`{running}\` a running task, \`{enqueued}\` a step on attempt 1, \`{retried}\` a
  step on attempt 2, \`{wq_step}\`/\`{wq_task}\` a step on attempt 1 and its task in the worker's
  namespace, \`{unknown}\` a uuid no row has, \`{dir}\` a folder of workflow files; in the SQL rows
  \`:running\`, \`:enqueued\`, \`:pending\` (a step never started) and \`:unknown\` likewise.`;

/** The section, heading included, ending with one newline. */
export function renderBadInputTable(): string {
  const rows: string[] = [];
  let n = 0;
  const row = (surface: string, what: string, input: string, expected: string, message: string): void => {
    rows.push(`| ${++n} | ${cell(surface)} | ${cell(what)} | ${input} | ${cell(expected)} | ${message} |`);
  };
  for (const [what, call, sqlstate, fragment] of badInputSqlRows) {
    row('SQL', what, code(call), `SQLSTATE ${sqlstate}`, code(fragment));
  }
  const limits = (surface: LimitCase['surface']): void => {
    for (const l of limitCases.filter((c) => c.surface === surface)) row(l.surface, l.what, `${code(l.input)} (${cell(l.size)})`, l.outcome, '—');
  };
  for (const c of cliCases) {
    const fragment = c.stderr ?? `stdout: ${c.stdout ?? ''}`;
    row('CLI', c.what, code(`weft ${c.args.map(shellArg).join(' ')}`), `exit ${c.exit}`, code(fragment));
  }
  limits('CLI');
  for (const q of queueCases) {
    row(queueSurface(q), q.what, q.message === null ? 'SQL NULL' : code(q.message), queueOutcome(q), code(q.reason));
  }
  limits('queue: orchestration_task_requests');
  return [
    SECTION_HEADING,
    '',
    intro,
    '',
    '| # | surface | case | input | expected | message contains |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The section of `doc` from its heading to the next `## ` heading (or the end), or null. */
export function extractSection(doc: string): string | null {
  const start = doc.indexOf(`\n${SECTION_HEADING}\n`);
  if (start < 0) return null;
  const next = doc.indexOf('\n## ', start + 1 + SECTION_HEADING.length);
  const text = doc.slice(start + 1, next < 0 ? doc.length : next + 1);
  return text.replace(/\n+$/, '\n');
}

/** `doc` with the section replaced (or appended when missing). */
export function replaceSection(doc: string, section: string): string {
  const current = extractSection(doc);
  if (current === null) return `${doc.replace(/\n*$/, '\n\n')}${section}`;
  const start = doc.indexOf(`\n${SECTION_HEADING}\n`) + 1;
  const next = doc.indexOf('\n## ', start + SECTION_HEADING.length);
  return next < 0 ? `${doc.slice(0, start)}${section}` : `${doc.slice(0, start)}${section}\n${doc.slice(next + 1)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const section = renderBadInputTable();
  if (process.argv.includes('--write')) {
    const path = join(packageRoot, 'docs', 'errors.md');
    writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), section));
    process.stdout.write(`wrote ${SECTION_HEADING.slice(3)} to ${path}\n`);
  } else {
    process.stdout.write(section);
  }
}
