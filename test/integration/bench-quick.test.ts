/**
 * `weft bench --quick` for weft alone, as CI runs it: every workload (W1–W5, scale, memory,
 * soak) at tiny sizes, each measurement verified (exact counts, every step's result, results
 * passed parent → child). Asserts correctness only — no timing thresholds.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWeft } from '../support/cli.js';
import { adminUrl } from '../support/db.js';

interface Part {
  part: string;
  status: string;
  verification: { ok: boolean; tasks: number; problems: string[] } | null;
}
interface Result {
  workload: string;
  error?: string;
  parts: Part[];
}

const out = mkdtempSync(join(tmpdir(), 'weft-bench-quick-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('weft bench --quick', () => {
  it('runs every workload for weft, and every measurement verifies', async () => {
    const prefix = `wbq_${Math.random().toString(36).slice(2, 8)}`;
    const run = await runWeft(['bench', '--quick', '--systems', 'weft', '--out', out, '--prefix', prefix], {
      env: { DATABASE_URL: adminUrl() },
    });
    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    const file = readdirSync(out).find((f) => f.endsWith('-quick.json'));
    expect(file).toBeDefined();
    const report = JSON.parse(readFileSync(join(out, file!), 'utf8')) as { results: Result[]; systems: Array<{ label: string }> };
    expect(report.systems.map((s) => s.label)).toEqual(['weft']);
    expect(report.results.map((r) => r.workload).sort()).toEqual(['W1', 'W2', 'W3', 'W4', 'W5', 'memory', 'scale', 'soak']);
    for (const result of report.results) {
      expect(result.error, `${result.workload}: ${result.error}`).toBeUndefined();
      for (const part of result.parts) {
        expect(part.status, `${result.workload} ${part.part}`).toBe('ok');
        if (part.verification) expect(part.verification.problems, `${result.workload} ${part.part}`).toEqual([]);
      }
    }
    // Every workload that runs tasks checked them: W1's two processing passes, W2–W5 (W4 twice:
    // the burst and the chains at idle), the scale backlogs and bursts, the burst of the memory
    // workload and the tasks of the soak.
    const verified = report.results.flatMap((r) => r.parts.filter((p) => p.verification?.ok && p.verification.tasks > 0).map((p) => `${r.workload}: ${p.part}`));
    expect(verified).toHaveLength(2 + 5 + 4 + 1 + 1);
    // The table on stdout names the figures.
    expect(run.stdout).toContain('enqueue one by one');
    expect(run.stdout).toContain('idle orchestrator');
    expect(run.stdout).toContain('worker_slope_mb_per_min');
  }, 180_000);
});
