/**
 * What the three peer adapters share: their workers run in a forked process (worker-process.ts)
 * whose handler samples are gathered here, and a plain SQL pool on the peer's database for the
 * figures and checks read from the peer's own tables.
 */
import type { Sql } from '../../src/db/connection.js';
import type { ConfigName } from '../options.js';
import { openDatabase } from '../server.js';
import type { Shape, ShapeSpec } from '../shapes.js';
import type { SystemAdapter, TaskRecord } from '../system.js';
import { PeerWorkerProcess, SampleStore, type PeerSystem } from './worker-process.js';

export abstract class PeerAdapter implements Partial<SystemAdapter> {
  abstract readonly system: PeerSystem;
  readonly label: string;
  protected shapes: Record<Shape, ShapeSpec> | undefined;
  protected readonly samples = new SampleStore();
  protected worker: PeerWorkerProcess | undefined;
  private pool: Sql | undefined;

  constructor(
    readonly config: ConfigName,
    readonly database: string,
    readonly url: string,
    name: string,
  ) {
    this.label = `${name} (${config})`;
  }

  protected get sql(): Sql {
    this.pool ??= openDatabase(this.url, 4, 'weft-bench');
    return this.pool;
  }

  protected get spec(): Record<Shape, ShapeSpec> {
    if (!this.shapes) throw new Error(`${this.label}: setup() has not run`);
    return this.shapes;
  }

  async startWorkers(concurrency: number): Promise<void> {
    await this.stopWorkers();
    const shapes = this.spec;
    this.worker = await PeerWorkerProcess.start({
      system: this.system,
      config: this.config,
      url: this.url,
      concurrency,
      chainSteps: shapes.chain.steps.length,
      fanWidth: shapes.fan.steps.length - 2,
    });
  }

  async stopWorkers(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) this.samples.add(await worker.stop());
  }

  /** Gathers the samples recorded so far by the running worker. */
  protected async drain(): Promise<void> {
    if (this.worker) this.samples.add(await this.worker.drain());
  }

  /** Records of these keys from the samples, with state and finish time from the peer's tables. */
  protected async recordsWith(shape: Shape, keys: number[], states: Map<number, { state: string; finishedAt: number | null }>): Promise<Map<number, TaskRecord>> {
    await this.drain();
    return this.samples.records(shape, keys, (k) => states.get(k) ?? { state: 'unknown', finishedAt: null });
  }

  async close(): Promise<void> {
    try {
      await this.stopWorkers();
    } finally {
      await this.pool?.end({ timeout: 5 });
      this.pool = undefined;
    }
  }
}
