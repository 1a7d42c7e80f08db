/**
 * Every process the benchmark starts (weft processes, peer workers) is registered here and
 * killed when the benchmark's process exits, however it exits, so none is left behind.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Registers a child process until it exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Throws when the run was interrupted (SIGINT/SIGTERM), so the runner cleans up and stops. */
export function checkInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('benchmark interrupted');
}
