/**
 * A peer's workers run in their own OS process (as weft's do), forked from the benchmark with
 * an IPC channel: bench/peers/child.ts starts the peer's worker and records, in memory, what
 * each handler did (`{ shape, key, step, v, s, e }`); the benchmark drains those samples
 * when it collects a measurement. Recording costs one array push per step.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/db/paths.js';
import type { ConfigName } from '../options.js';
import type { Shape, StepResult } from '../shapes.js';
import type { StepRecord, TaskRecord } from '../system.js';
import { track } from '../children.js';
import { readMemory } from '../weft/processes.js';

export type PeerSystem = 'graphile-worker' | 'pg-boss' | 'dbos';

/** What one handler execution did. */
export interface Sample extends StepResult {
  sh: Shape;
  k: number;
  st: string;
}

/** Parent → child. */
export type ToChild = { t: 'drain'; id: number } | { t: 'stop'; id: number };
/** Child → parent. */
export type FromChild = { t: 'ready' } | { t: 'samples'; id: number; samples: Sample[] } | { t: 'stopped'; id: number; samples: Sample[] } | { t: 'error'; message: string };

/** The settings a child reads from its environment. */
export interface ChildSettings {
  system: PeerSystem;
  config: ConfigName;
  url: string;
  concurrency: number;
  chainSteps: number;
  fanWidth: number;
}

export class PeerWorkerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (samples: Sample[]) => void>();
  private output = '';

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: FromChild) => {
      if (m.t === 'samples' || m.t === 'stopped') {
        this.waiting.get(m.id)?.(m.samples);
        this.waiting.delete(m.id);
      }
    });
    const keep = (c: Buffer) => (this.output = (this.output + c.toString()).slice(-8000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Forks the child and waits until its worker runs. */
  static async start(settings: ChildSettings): Promise<PeerWorkerProcess> {
    const child = fork(join(packageRoot, 'bench', 'peers', 'child.ts'), [], {
      cwd: packageRoot,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_PEER: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    track(child);
    const proc = new PeerWorkerProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${settings.system} worker did not start within 60 s:\n${proc.output}`)), 60_000);
      child.on('message', (m: FromChild) => {
        if (m.t === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.t === 'error') {
          clearTimeout(timer);
          reject(new Error(`${settings.system} worker failed: ${m.message}\n${proc.output}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${settings.system} worker exited (code ${code}) during start:\n${proc.output}`));
      });
    });
    return proc;
  }

  private ask(kind: ToChild['t']): Promise<Sample[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error(`the worker process is gone:\n${this.output}`));
        return;
      }
      this.waiting.set(id, resolve);
      this.child.send({ t: kind, id } satisfies ToChild);
    });
  }

  /** Takes the samples recorded since the last call. */
  drain(): Promise<Sample[]> {
    return this.ask('drain');
  }

  /** Stops the worker gracefully; returns the last samples; waits for the exit. */
  async stop(): Promise<Sample[]> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    try {
      const samples = await this.ask('stop');
      await exited;
      return samples;
    } finally {
      clearTimeout(timer);
    }
  }

  memory(): { rss: number; peak: number } | null {
    return readMemory(this.child.pid);
  }
}

/** Samples gathered over a run, by shape and key. */
export class SampleStore {
  private readonly byShape = new Map<Shape, Map<number, Map<string, StepRecord>>>();

  add(samples: Sample[]): void {
    for (const x of samples) {
      let tasks = this.byShape.get(x.sh);
      if (!tasks) this.byShape.set(x.sh, (tasks = new Map()));
      let steps = tasks.get(x.k);
      if (!steps) tasks.set(x.k, (steps = new Map()));
      const seen = steps.get(x.st);
      if (seen) seen.runs++;
      else steps.set(x.st, { v: x.v, s: x.s, e: x.e, runs: 1 });
    }
  }

  /** Keys of the shape whose final steps have all run. */
  finalsRun(shape: Shape, finals: string[]): number[] {
    const out: number[] = [];
    for (const [k, steps] of this.byShape.get(shape) ?? []) if (finals.every((f) => steps.has(f))) out.push(k);
    return out;
  }

  /** Task records for these keys (state filled in by the caller from the system's tables). */
  records(shape: Shape, keys: number[], stateOf: (key: number) => { state: string; finishedAt: number | null }): Map<number, TaskRecord> {
    const out = new Map<number, TaskRecord>();
    const tasks = this.byShape.get(shape);
    for (const key of keys) {
      const steps = tasks?.get(key);
      if (!steps) continue;
      out.set(key, { key, ...stateOf(key), steps });
    }
    return out;
  }
}
