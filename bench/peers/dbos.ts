/**
 * DBOS under test (the producer side; workers: dbos-worker.ts). Tasks are enqueued with
 * DBOSClient.enqueue on the queue `bench` (DBOS has no bulk enqueue); completion and finish
 * times come from dbos.workflow_status (status SUCCESS, updated_at).
 */
import { DBOS, DBOSClient } from '@dbos-inc/dbos-sdk';
import type { ConfigName } from '../options.js';
import type { Shape, ShapeSpec } from '../shapes.js';
import { packageVersion, type SystemAdapter, type TaskRecord } from '../system.js';
import { APP, QUEUE, queueParameters } from './dbos-worker.js';
import { PeerAdapter } from './peer-adapter.js';

const idOf = (shape: Shape, key: number) => `${shape}-${key}`;

export class DbosAdapter extends PeerAdapter implements SystemAdapter {
  readonly system = 'dbos' as const;
  readonly version = packageVersion('@dbos-inc/dbos-sdk');
  readonly bulkEnqueue = false;
  readonly dagMethod = 'one DBOS workflow per task; steps as DBOS.runStep, parallel branches with Promise.all';
  readonly description: string;
  private client: DBOSClient | undefined;
  private seenErrors = 0;

  constructor(config: ConfigName, database: string, url: string) {
    super(config, database, url, 'DBOS');
    this.description =
      config === 'tuned'
        ? `queue { workerConcurrency: c, minPollingIntervalMs: ${queueParameters({ config, concurrency: 1 }).minPollingIntervalMs} }, systemDatabasePoolSize c + 10`
        : 'DBOS.setConfig({ name, systemDatabaseUrl }); queue with workerConcurrency c, other parameters default (polling every 1 s at most)';
  }

  private get dbos(): DBOSClient {
    if (!this.client) throw new Error('DBOS: setup() has not run');
    return this.client;
  }

  async setup(shapes: Record<Shape, ShapeSpec>): Promise<void> {
    this.shapes = shapes;
    await DBOS.migrate(this.url);
    this.client = await DBOSClient.create({ systemDatabaseUrl: this.url, applicationName: APP });
  }

  async requestEach(shape: Shape, keys: number[]): Promise<string[]> {
    const name = this.spec[shape].name;
    const ids: string[] = [];
    for (const k of keys) {
      const handle = await this.dbos.enqueue({ queueName: QUEUE, workflowName: name, workflowID: idOf(shape, k) }, k);
      ids.push(handle.workflowID);
    }
    return ids;
  }

  requestBulk(): Promise<void> {
    return Promise.reject(new Error('DBOS has no bulk enqueue'));
  }

  async finishedCount(shape: Shape): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from dbos.workflow_status where name = ${this.spec[shape].name} and status = 'SUCCESS'`;
    return row!.n;
  }

  async finishedHandles(handles: string[]): Promise<Set<string>> {
    const rows = await this.sql<{ id: string }[]>`
      select workflow_uuid as id from dbos.workflow_status where workflow_uuid = any(${handles}) and status in ('SUCCESS', 'ERROR')`;
    return new Set(rows.map((r) => r.id));
  }

  async collect(shape: Shape, keys: number[]): Promise<Map<number, TaskRecord>> {
    const rows = await this.sql<{ id: string; status: string; updated_at: string }[]>`
      select workflow_uuid as id, status, updated_at from dbos.workflow_status where workflow_uuid = any(${keys.map((k) => idOf(shape, k))})`;
    const states = new Map(
      rows.map((r) => [Number(r.id.slice(shape.length + 1)), { state: r.status === 'SUCCESS' ? 'complete' : r.status.toLowerCase(), finishedAt: r.status === 'SUCCESS' ? Number(r.updated_at) : null }]),
    );
    return this.recordsWith(shape, keys, states);
  }

  async discardPending(): Promise<void> {
    const rows = await this.sql<{ id: string }[]>`select workflow_uuid as id from dbos.workflow_status where status in ('ENQUEUED', 'PENDING')`;
    if (rows.length > 0) await this.dbos.cancelWorkflows(rows.map((r) => r.id));
  }

  async systemProblems(): Promise<string[]> {
    const [row] = await this.sql<{ errors: number }[]>`
      select count(*)::int as errors from dbos.workflow_status where status in ('ERROR', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED')`;
    const problems: string[] = [];
    if (row!.errors > this.seenErrors) problems.push(`${row!.errors - this.seenErrors} workflows ended in error`);
    this.seenErrors = row!.errors;
    return problems;
  }

  override async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    try {
      await super.close();
    } finally {
      await client?.destroy();
    }
  }
}
