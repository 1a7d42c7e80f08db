/**
 * An abortable sleep that can also be cut short by `wake()` (a NOTIFY arrived, a slot freed).
 */
export class WakeableSleep {
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;

  /** Sleeps up to `ms`, returning early on wake() or when `signal` aborts. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return;
    }
    if (signal?.aborted || ms <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }

  /** Ends the current sleep, or makes the next one return at once. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.pendingWake = true;
  }
}

/** `<hostname>-<pid>-<4 hex>`: a processor id unique enough to name one process. */
export async function defaultProcessorId(role: string): Promise<string> {
  const { hostname } = await import('node:os');
  const { randomBytes } = await import('node:crypto');
  return `${role}-${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}
