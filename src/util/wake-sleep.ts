/**
 * weft's SQL sends a NOTIFY wake-up at most once per this many ms per channel and payload
 * (weft._wake_window_ms() in sql/weft/026-wake.sql): a message committed within the window
 * after a wake-up gets none of its own. Listeners therefore read once more this long (plus a
 * margin) after each wake-up they receive.
 */
export const WAKE_WINDOW_MS = 20;
const WAKE_MARGIN_MS = 10;

/**
 * An abortable sleep that can also be cut short by `wake()` (a NOTIFY arrived, a slot freed).
 */
export class WakeableSleep {
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private notifiedAt: number | undefined;

  /**
   * The sleep to take: `ms`, or less when a NOTIFY arrived recently — so that the loop reads
   * again once the wake-up window after it has passed (see WAKE_WINDOW_MS). One such read per
   * NOTIFY.
   */
  capAfterWake(ms: number, windowMs: number): number {
    if (this.notifiedAt === undefined) return ms;
    const until = this.notifiedAt + windowMs + WAKE_MARGIN_MS - Date.now();
    if (until <= 0) {
      this.notifiedAt = undefined;
      return ms;
    }
    return Math.min(ms, until);
  }

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

  /** Ends the current sleep, or makes the next one return at once. `notified`: a NOTIFY caused it. */
  wake(notified = false): void {
    if (notified) this.notifiedAt = Date.now();
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
