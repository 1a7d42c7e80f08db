/**
 * Runs the `weft` CLI as a user would: a separate process (`node --import tsx src/cli/main.ts`),
 * in the repository, with a clean environment (no inherited DATABASE_URL or WEFT_* variables;
 * WEFT_ENV=test unless the test sets it).
 *
 * @example const r = await runWeft(['migrate'], { env: { DATABASE_URL: db.url } }); r.code === 0
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/db/paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Variables to add (a value of undefined removes one). */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** The environment of the test process without anything that configures weft. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'DATABASE_URL' || key.startsWith('WEFT_')) continue;
    env[key] = value;
  }
  return env;
}

/** Runs `weft <args>` and resolves when it exits. */
export function runWeft(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...cleanEnv(), WEFT_ENV: 'test', ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts'), ...args], {
      cwd: options.cwd ?? packageRoot,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
