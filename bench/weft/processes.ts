/**
 * weft's processes as a deployment runs them: `weft orchestrator`, `weft worker --handlers
 * bench/weft/handlers.ts` and `weft api`, each its own OS process (node --import tsx
 * src/cli/main.ts …), with WEFT_ENV=production defaults. Each gets its own application_name
 * so the benchmark can see when it has connected, and its memory is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from '../../src/db/connection.js';
import { packageRoot } from '../../src/db/paths.js';
import { track } from '../children.js';
import { sleep } from '../system.js';

export interface WeftProcess {
  role: 'orchestrator' | 'worker' | 'api';
  /** application_name prefix of its connections (`<name>-<role>`). */
  name: string;
  child: ChildProcess;
  /** Last lines of its output (for error messages). */
  output(): string;
  /** Current and peak resident memory, bytes (from /proc/<pid>/status). */
  memory(): { rss: number; peak: number } | null;
  /** SIGTERM, wait for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/** The environment a weft process gets: ours without weft settings, plus production defaults. */
function weftEnv(databaseUrl: string, name: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'DATABASE_URL' && !k.startsWith('WEFT_')) env[k] = v;
  }
  return { ...env, WEFT_ENV: 'production', WEFT_LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, WEFT_DATABASE_APPLICATION_NAME: name, ...extra };
}

/** Reads VmRSS / VmHWM of a process, in bytes. */
export function readMemory(pid: number | undefined): { rss: number; peak: number } | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * Starts one weft process.
 *
 * @example const w = startWeftProcess('worker', 'bench-w1', url, ['--concurrency', '50']);
 */
export function startWeftProcess(role: WeftProcess['role'], name: string, databaseUrl: string, args: string[] = [], env: Record<string, string> = {}): WeftProcess {
  const roleArgs = role === 'worker' ? ['--handlers', join(packageRoot, 'bench', 'weft', 'handlers.ts')] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts'), role, ...roleArgs, ...args], {
    cwd: packageRoot,
    env: weftEnv(databaseUrl, name, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    role,
    name,
    child,
    output: () => out,
    memory: () => readMemory(child.pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Waits until every process has a connection open on the database (it has started its loop),
 * failing with the process output if one exits first.
 */
export async function waitConnected(sql: Sql, database: string, processes: WeftProcess[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new Error(`weft ${dead.role} (${dead.name}) exited during start:\n${dead.output()}`);
    const rows = await sql<{ application_name: string }[]>`
      select distinct application_name from pg_stat_activity where datname = ${database}`;
    const names = new Set(rows.map((r) => r.application_name));
    if (processes.every((p) => names.has(`${p.name}-${p.role}`))) {
      // Connected; LISTEN and the first poll follow within a few milliseconds.
      await sleep(200);
      return;
    }
    if (Date.now() > deadline) throw new Error(`weft processes did not connect within ${timeoutMs} ms:\n${processes.map((p) => p.output()).join('\n')}`);
    await sleep(50);
  }
}
