/**
 * The worker process of a peer (forked by worker-process.ts): starts the peer's worker with the
 * settings in BENCH_PEER, records every handler execution, and answers `drain` / `stop` over
 * IPC.
 */
import { shapes as buildShapes, type Shape, type StepResult } from '../shapes.js';
import type { ChildSettings, FromChild, Sample, ToChild } from './worker-process.js';

/** What a peer module gives the child: a running worker it can stop. */
export interface PeerWorker {
  stop(): Promise<void>;
}

export type RecordStep = (shape: Shape, key: number, step: string, result: StepResult) => void;

const send = (m: FromChild) => process.send!(m);
const settings = JSON.parse(process.env.BENCH_PEER ?? '{}') as ChildSettings;
let samples: Sample[] = [];
const record: RecordStep = (sh, k, st, r) => {
  samples.push({ sh, k, st, v: r.v, s: r.s, e: r.e });
};
const take = () => {
  const out = samples;
  samples = [];
  return out;
};

async function main(): Promise<void> {
  const shapes = buildShapes(settings.chainSteps, settings.fanWidth);
  let worker: PeerWorker;
  switch (settings.system) {
    case 'pg-boss':
      worker = await (await import('./pg-boss-worker.js')).startWorker(settings, shapes, record);
      break;
    case 'graphile-worker':
      worker = await (await import('./graphile-worker-worker.js')).startWorker(settings, shapes, record);
      break;
    case 'dbos':
      worker = await (await import('./dbos-worker.js')).startWorker(settings, shapes, record);
      break;
  }
  process.on('message', (m: ToChild) => {
    if (m.t === 'drain') send({ t: 'samples', id: m.id, samples: take() });
    if (m.t === 'stop') {
      void worker.stop().finally(() => {
        send({ t: 'stopped', id: m.id, samples: take() });
        process.disconnect();
        setTimeout(() => process.exit(0), 100).unref();
      });
    }
  });
  // Ignore the signals the parent's terminal sends the whole group; the parent stops us.
  process.on('SIGINT', () => undefined);
  send({ t: 'ready' });
}

main().catch((err: unknown) => {
  send({ t: 'error', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  setTimeout(() => process.exit(1), 100);
});
