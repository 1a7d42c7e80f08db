/**
 * The embedded default as an ordinary (non-root) OS user: the server runs as that user, with its
 * data where the user can write. When the tests run as root (CI), a throwaway user is created
 * and the command runs through `su`; otherwise it runs as the current user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { packageRoot } from '../../src/db/paths.js';

const USER = 'weft_embedded_test';
const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'weft-user-'));
chmodSync(dir, 0o777);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('weft dev --check as an ordinary user', () => {
  it('initialises, migrates, runs the example and exits 0 with the server running as that user', async () => {
    const port = await freePort();
    const apiPort = await freePort();
    const env = `WEFT_ENV=test WEFT_EMBEDDED_DATA_DIR=${join(dir, 'pg')} WEFT_EMBEDDED_PORT=${port} WEFT_API_PORT=${apiPort}`;
    const command = `cd ${packageRoot} && env -u DATABASE_URL ${env} ${process.execPath} bin/weft.js dev --check`;
    let result;
    if (isRoot) {
      if (spawnSync('id', ['-u', USER]).status !== 0) execFileSync('useradd', ['--no-create-home', USER]);
      result = spawnSync('su', [USER, '-s', '/bin/bash', '-c', command], { encoding: 'utf8', timeout: 240_000 });
    } else {
      result = spawnSync('/bin/bash', ['-c', command], { encoding: 'utf8', timeout: 240_000 });
    }
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/weft dev --check: ok/);
    expect(output).toMatch(/example order \S+ complete/);
  });
});
