/**
 * The moving parts of the chaos test (scripts/chaos.ts): the PostgreSQL server it owns (embedded,
 * restartable) or borrows (DATABASE_URL: a fresh database on it, no restart), and the fleet of
 * `weft orchestrator` / `weft worker` OS processes that it kills with SIGKILL and replaces.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { parseDatabaseUrl } from '../src/db/connection.js';
import { freePort, startEmbedded, type EmbeddedServer } from '../src/db/embedded.js';
import { startWeft, type WeftProcess } from '../test/support/processes.js';

/** The server the chaos run talks to. */
export interface ChaosServer {
  /** URL of the run's database. */
  url: string;
  kind: 'embedded' | 'DATABASE_URL';
  /** Only the embedded server can be restarted by the run. */
  canRestart: boolean;
  /** True between the stop and the start of a restart. */
  down: boolean;
  /** Stops the server, waits `downMs` (processes see refused connections), starts it again. */
  restart(downMs: number): Promise<void>;
  /** Stops the embedded server (or drops the borrowed database) and removes temporary files. */
  close(options: { keep: boolean }): Promise<void>;
  /** Where the data is, for a failure message. */
  describe(): string;
}

/**
 * An embedded PostgreSQL on a free port under a temporary folder; restartable on the same data
 * folder and port.
 */
export async function embeddedServer(): Promise<ChaosServer> {
  const root = mkdtempSync(join(tmpdir(), 'weft-chaos-'));
  const dataDir = join(root, 'pg');
  const port = await freePort();
  let server: EmbeddedServer = await startEmbedded({ dataDir, port });
  const chaos: ChaosServer = {
    url: server.url,
    kind: 'embedded',
    canRestart: true,
    down: false,
    async restart(downMs: number) {
      chaos.down = true;
      try {
        const t0 = Date.now();
        await server.stop(); // SIGINT: fast shutdown, every session is terminated
        if (process.env.WEFT_CHAOS_DEBUG) process.stdout.write(`chaos: server stopped in ${Date.now() - t0} ms\n`);
        await new Promise((r) => setTimeout(r, downMs));
        // The port was ours a moment ago; retry briefly if the kernel has not released it yet.
        for (let attempt = 1; ; attempt++) {
          try {
            server = await startEmbedded({ dataDir, port });
            break;
          } catch (err) {
            if (attempt >= 20) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        chaos.down = false;
      }
    },
    async close({ keep }) {
      await server.stop().catch(() => undefined);
      if (!keep) rmSync(root, { recursive: true, force: true });
    },
    describe: () => `embedded PostgreSQL, port ${port}, data ${dataDir}`,
  };
  return chaos;
}

/** A fresh database `weft_chaos_<random>` on the server of `adminUrl` (restarts are skipped). */
export async function borrowedServer(adminUrl: string): Promise<ChaosServer> {
  parseDatabaseUrl(adminUrl);
  const name = `weft_chaos_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'DATABASE_URL',
    canRestart: false,
    down: false,
    restart: () => Promise.reject(new Error('the chaos run does not own this server; it cannot restart it')),
    async close({ keep }) {
      if (keep) return;
      const a = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
    describe: () => `database ${name} on ${url.host} (from DATABASE_URL)`,
  };
}

export type Role = 'orchestrator' | 'worker';

/** A process of the fleet and why it ended. */
interface Member {
  role: Role;
  id: string;
  process: WeftProcess;
  /** Set before we kill or stop it: its exit is expected. */
  ending: boolean;
  /** Resolves once the process logged that its loop started (or exited). */
  ready: Promise<void>;
}

/** A process that exited although nobody killed or stopped it. */
export interface UnexpectedExit {
  id: string;
  code: number | null;
  output: string;
}

/** Engine settings for the chaos run: short polls, a 2 s lease, short finalization claims. */
export function chaosEngineEnv(url: string): Record<string, string> {
  return {
    DATABASE_URL: url,
    // info: the "… started" line tells the fleet a process is up (and may be stopped cleanly)
    WEFT_LOG_LEVEL: 'info',
    WEFT_DATABASE_POOL_SIZE: '4',
    WEFT_DATABASE_CONNECT_ATTEMPTS: '10',
    WEFT_ORCHESTRATOR_POLL_INTERVAL_MS: '200',
    WEFT_ORCHESTRATOR_CLAIM_TTL_MS: '1500',
    WEFT_WORKER_POLL_INTERVAL_MS: '200',
    WEFT_WORKER_CONCURRENCY: '4',
    WEFT_WORKER_VISIBILITY_TIMEOUT_S: '2',
    WEFT_WORKER_HEARTBEAT_INTERVAL_MS: '600',
    WEFT_WORKER_SHUTDOWN_GRACE_MS: '2000',
  };
}

/**
 * Orchestrators and workers as separate OS processes. `kill()` is SIGKILL (a crash) followed by
 * a replacement; a process that exits on its own is recorded as an unexpected exit and replaced.
 */
export class Fleet {
  readonly kills = { orchestrator: 0, worker: 0 };
  readonly unexpected: UnexpectedExit[] = [];
  private readonly members: Member[] = [];
  private serial = { orchestrator: 0, worker: 0 };
  private closing = false;

  constructor(
    private readonly env: Record<string, string>,
    /** Whether the server is up: replacements are not started while it is down. */
    private readonly serverUp: () => boolean,
    /** When set, each process's output is written to `<logDir>/<id>.log`. */
    private readonly logDir?: string,
  ) {
    if (logDir) mkdirSync(logDir, { recursive: true });
  }

  /** Starts one more process of the role. */
  start(role: Role): void {
    const n = this.serial[role]++;
    const id = role === 'orchestrator' ? `chaos-orch-${n}` : `chaos-worker-${n}`;
    const args = role === 'orchestrator'
      ? ['orchestrator', '--processor-id', id]
      : ['worker', '--builtin', 'scenarios', '--processor-id', id];
    const proc = startWeft(id, args, this.env);
    if (this.logDir) {
      const file = createWriteStream(join(this.logDir, `${id}.log`));
      proc.child.stdout!.pipe(file);
      proc.child.stderr!.pipe(file);
    }
    const ready = new Promise<void>((resolve) => {
      const onData = () => {
        if (/"msg":"(orchestrator|worker) started"/.test(proc.output())) {
          proc.child.stdout!.off('data', onData);
          resolve();
        }
      };
      proc.child.stdout!.on('data', onData);
      void proc.exited.then(() => resolve());
    });
    const member: Member = { role, id, process: proc, ending: false, ready };
    this.members.push(member);
    void member.process.exited.then((code) => {
      const i = this.members.indexOf(member);
      if (i >= 0) this.members.splice(i, 1);
      if (member.ending || this.closing) return;
      this.unexpected.push({ id, code, output: member.process.output().slice(-4000) });
      this.replaceWhenUp(role);
    });
  }

  /** SIGKILLs a random process (orchestrator or worker, `pick` in [0,1)) and starts its replacement. */
  async killOne(pickRole: number, pickIndex: number): Promise<string | undefined> {
    const role: Role = pickRole < 0.5 ? 'orchestrator' : 'worker';
    const candidates = this.members.filter((m) => m.role === role && !m.ending);
    if (candidates.length === 0) return undefined;
    const victim = candidates[Math.floor(pickIndex * candidates.length)]!;
    victim.ending = true;
    await victim.process.kill();
    this.kills[role]++;
    this.replaceWhenUp(role);
    return victim.id;
  }

  /** Resolves once every current process has started (bounded by `timeoutMs`). */
  async allReady(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.all(this.members.map((m) => m.ready)), new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  /** Processes' ids that are running now. */
  running(): string[] {
    return this.members.filter((m) => !m.ending).map((m) => m.id);
  }

  /**
   * SIGTERM to every process, once each has started (a process still loading its modules has no
   * signal handler yet); resolves with those that did not exit 0.
   */
  async stopAll(): Promise<{ id: string; code: number | null; output: string }[]> {
    this.closing = true;
    const all = [...this.members];
    await this.allReady(30_000);
    for (const m of all) m.ending = true;
    const codes = await Promise.all(all.map((m) => m.process.stop()));
    return all
      .map((m, i) => ({ id: m.id, code: codes[i] ?? null, output: m.process.output().slice(-4000) }))
      .filter((r) => r.code !== 0);
  }

  /** SIGKILL to everything still running (cleanup after a failure). */
  async killAll(): Promise<void> {
    this.closing = true;
    await Promise.all(this.members.map((m) => m.process.kill()));
  }

  private replaceWhenUp(role: Role): void {
    if (this.closing) return;
    if (this.serverUp()) {
      this.start(role);
      return;
    }
    const timer = setInterval(() => {
      if (this.closing) {
        clearInterval(timer);
      } else if (this.serverUp()) {
        clearInterval(timer);
        this.start(role);
      }
    }, 100);
  }
}
