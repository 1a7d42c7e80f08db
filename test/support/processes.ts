/**
 * Long-running `weft` processes for multi-process tests (orchestrators, workers), started as
 * separate OS processes and stopped with a signal — or killed with SIGKILL to test crashes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/db/paths.js';
import { cleanEnv } from './cli.js';

export interface WeftProcess {
  name: string;
  child: ChildProcess;
  /** stderr + stdout so far (for failure messages). */
  output(): string;
  /** SIGTERM and wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
  /** SIGKILL, no cleanup (a crash). */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export function startWeft(name: string, args: string[], env: Record<string, string>): WeftProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: packageRoot,
    env: { ...cleanEnv(), WEFT_ENV: 'test', WEFT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    exited,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Engine settings for fast tests: short polls. */
export function fastEngineEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    WEFT_ORCHESTRATOR_POLL_INTERVAL_MS: '200',
    WEFT_WORKER_POLL_INTERVAL_MS: '200',
    WEFT_DATABASE_POOL_SIZE: '4',
  };
}
