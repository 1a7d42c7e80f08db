/**
 * weft's processes as a deployment runs them: `weft orchestrator`, `weft worker --handlers
 * <handlers.js>` and `weft api`, each its own OS process running the compiled build (plain
 * `node`, no TypeScript loader), with WEFT_ENV=production and NODE_ENV=production as in the
 * Docker image. Each gets its own application_name so the benchmark can see when it has
 * connected, and its memory is read from /proc.
 *
 * The build: once per run (prepareWeftBuild), `tsc` emits src/ and the benchmark's handlers
 * (bench/weft/handlers.ts, bench/shapes.ts) into a temporary folder laid out like the package
 * (<build>/src/cli/main.js, <build>/bench/weft/handlers.js), beside links to the files the
 * image ships (package.json, node_modules, sql, migrations, config, schemas): the package root
 * weft computes from its own location (src/db/paths.ts) is then that folder. The JavaScript is
 * the one `npm run build` emits (tsconfig.json's compiler options); type checking is skipped
 * (`noCheck`: `npm run typecheck` does it) and so are declarations. No node flags are added
 * (the image sets none); NODE_OPTIONS of the benchmark's environment passes through (e.g.
 * --max-semi-space-size=1, which lowers the worker's peak RSS) and is named in the report's
 * notes. BENCH_WEFT_TSX=1 runs the TypeScript sources through tsx instead (`node --import tsx
 * src/cli/main.ts`), for comparison only: the loader's thread and esbuild inflate memory and CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
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
  return {
    ...env,
    NODE_ENV: 'production',
    WEFT_ENV: 'production',
    WEFT_LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    WEFT_DATABASE_APPLICATION_NAME: name,
    ...extra,
  };
}

/** How weft processes are started: `node <args> <role> …`, the worker with `--handlers <handlers>`. */
interface WeftLaunch {
  args: string[];
  handlers: string;
  cwd: string;
  /** One sentence for the report's notes. */
  note: string;
  /** The temporary build folder (removed by removeWeftBuild). */
  dir?: string;
}

let launch: WeftLaunch | undefined;

/** What the compiled build needs beside its code: what the Docker image copies (see Dockerfile). */
const SHIPPED = ['package.json', 'node_modules', 'sql', 'migrations', 'config', 'schemas'];

function runTsc(project: string): Promise<{ code: number | null; output: string }> {
  const tsc = createRequire(join(packageRoot, 'package.json')).resolve('typescript/bin/tsc');
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [tsc, '-p', project], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Builds weft for its processes, once per run (later calls return at once); returns a note for
 * the report. BENCH_WEFT_TSX=1: no build, the sources run through tsx.
 *
 * @example notes.push(await prepareWeftBuild(log)); … finally removeWeftBuild();
 * @throws Error with the compiler's output when the build fails.
 */
export async function prepareWeftBuild(log: (line: string) => void): Promise<string> {
  if (launch) return launch.note;
  const nodeOptions = process.env.NODE_OPTIONS?.trim() ? ` NODE_OPTIONS=${JSON.stringify(process.env.NODE_OPTIONS.trim())} applied to them.` : '';
  if (process.env.BENCH_WEFT_TSX === '1') {
    launch = {
      args: ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts')],
      handlers: join(packageRoot, 'bench', 'weft', 'handlers.ts'),
      cwd: packageRoot,
      note: `weft processes ran the TypeScript sources through the tsx loader (BENCH_WEFT_TSX=1), not the compiled build: their memory and CPU include the loader and esbuild.${nodeOptions}`,
    };
    return launch.note;
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-build-'));
  try {
    const project = join(dir, 'tsconfig.json');
    writeFileSync(
      project,
      JSON.stringify({
        extends: join(packageRoot, 'tsconfig.json'),
        compilerOptions: {
          noEmit: false,
          noCheck: true,
          declaration: false,
          rootDir: packageRoot,
          outDir: dir,
          typeRoots: [join(packageRoot, 'node_modules', '@types')],
        },
        include: [join(packageRoot, 'src'), join(packageRoot, 'bench', 'weft', 'handlers.ts')],
      }),
    );
    const { code, output } = await runTsc(project);
    const main = join(dir, 'src', 'cli', 'main.js');
    const handlers = join(dir, 'bench', 'weft', 'handlers.js');
    if (code !== 0 || !existsSync(main) || !existsSync(handlers)) throw new Error(`building weft for its processes failed (tsc exit ${String(code)}):\n${output.slice(-4000)}`);
    for (const name of SHIPPED) symlinkSync(join(packageRoot, name), join(dir, name));
    launch = {
      args: [main],
      handlers,
      cwd: dir,
      dir,
      note: `weft processes ran the compiled build (tsc emit of src/ as \`npm run build\` does, started as \`node <build>/src/cli/main.js <role>\`; the worker loads the compiled bench/weft/handlers.js), NODE_ENV=production, no TypeScript loader.${nodeOptions}`,
    };
    log(`weft built for its processes in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
    return launch.note;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Removes the temporary build (the end of a run). */
export function removeWeftBuild(): void {
  const dir = launch?.dir;
  launch = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
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
 * Starts one weft process (after prepareWeftBuild).
 *
 * @example const w = startWeftProcess('worker', 'bench-w1', url, ['--concurrency', '50']);
 */
export function startWeftProcess(role: WeftProcess['role'], name: string, databaseUrl: string, args: string[] = [], env: Record<string, string> = {}): WeftProcess {
  if (!launch) throw new Error('weft processes need the build: await prepareWeftBuild(log) first.');
  const roleArgs = role === 'worker' ? ['--handlers', launch.handlers] : [];
  const child = spawn(process.execPath, [...launch.args, role, ...roleArgs, ...args], {
    cwd: launch.cwd,
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
