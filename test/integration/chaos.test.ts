/**
 * The chaos test's short mode (scripts/chaos.ts --short) as part of `npm test`: 200 tasks of
 * the shared scenarios, 3 orchestrator + 3 worker processes SIGKILLed and replaced at random for
 * 45 s, and one restart of the PostgreSQL server. The script owns its server (an embedded
 * PostgreSQL in a temporary folder, whatever DATABASE_URL says), checks every invariant itself
 * and exits 0 only when all hold; this test runs it as a user would and reads its summary line.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/db/paths.js';
import { cleanEnv } from '../support/cli.js';

interface Run {
  code: number | null;
  output: string;
}

/** Runs the script in its own process group, so a run that hangs is killed with everything it started. */
function runChaos(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'scripts', 'chaos.ts'), ...args], {
      cwd: packageRoot,
      env: cleanEnv(), // no DATABASE_URL: the run owns an embedded server and restarts it
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      output += `\n(test: no result after ${timeoutMs} ms; SIGTERM to the run's process group)`;
      process.kill(-child.pid!, 'SIGTERM');
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 15_000).unref();
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The numbers of the summary line `chaos: tasks=… kills=… (…) restarts=… lost=… …`. */
function summary(output: string): Record<string, number> {
  const line = output.split('\n').find((l) => /^chaos: tasks=\d+/.test(l));
  if (!line) return {};
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(\d+)/g)) out[m[1]!] = Number(m[2]);
  const kills = /\(orchestrators (\d+), workers (\d+)\)/.exec(line);
  if (kills) {
    out.orchestrator_kills = Number(kills[1]);
    out.worker_kills = Number(kills[2]);
  }
  return out;
}

describe('chaos: kill -9 of orchestrators and workers, and a PostgreSQL restart', () => {
  it('loses no task, finalizes each once, applies no late result and gets every expected result', async () => {
    const run = await runChaos(['--short'], 330_000);
    const s = summary(run.output);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^chaos: tasks=\d+ .* ok$/m);
    expect(s.tasks, run.output).toBe(200);
    expect(s.lost, run.output).toBe(0);
    expect(s.double_finalized, run.output).toBe(0);
    expect(s.late_applied, run.output).toBe(0);
    // the chaos did happen: both kinds of process were killed and the server came back once
    expect(s.orchestrator_kills, run.output).toBeGreaterThan(0);
    expect(s.worker_kills, run.output).toBeGreaterThan(0);
    expect(s.restarts, run.output).toBe(1);
    expect(run.output).toMatch(/unexpected_exits=0 wrong_results=0 transition_errors=0 unfinalized=0 leftovers=0/);
  }, 360_000);
});
