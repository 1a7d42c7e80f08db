/**
 * retryTransient (src/db/connection.ts): the start-up steps after the preflight are tried again
 * when the server goes away between them (a restart: 57P03, a refused or closed connection),
 * never for other errors, and at most `attempts` times.
 */
import { describe, expect, it } from 'vitest';
import { isTransientDbError, retryTransient } from '../../src/db/connection.js';

/** An error shaped like postgres.js's: a code, a message. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('retryTransient', () => {
  it('tries again after transient errors and returns the first success', async () => {
    const errors = [pgError('57P03', 'the database system is shutting down'), pgError('ECONNREFUSED', 'connect ECONNREFUSED')];
    const retried: number[] = [];
    let calls = 0;
    const value = await retryTransient(
      async () => {
        calls++;
        const next = errors.shift();
        if (next) throw next;
        return 'started';
      },
      { attempts: 5, onRetry: (attempt) => retried.push(attempt) },
    );
    expect({ value, calls, retried }).toEqual({ value: 'started', calls: 3, retried: [1, 2] });
  });

  it('throws a non-transient error at once', async () => {
    let calls = 0;
    const failing = retryTransient(
      async () => {
        calls++;
        throw pgError('WF008', 'weft schema version 3 is older than this build (4)');
      },
      { attempts: 5 },
    );
    await expect(failing).rejects.toThrow('weft schema version 3');
    expect(calls).toBe(1);
  });

  it('throws the last transient error after the attempts run out', async () => {
    let calls = 0;
    const failing = retryTransient(
      async () => {
        calls++;
        throw pgError('CONNECTION_CLOSED', `connection closed (${calls})`);
      },
      { attempts: 2 },
    );
    await expect(failing).rejects.toThrow('connection closed (2)');
    expect(calls).toBe(2);
  });

  it('knows the transient codes', () => {
    expect(['57P03', '57P01', '57P02', 'ECONNREFUSED', 'ECONNRESET', 'CONNECTION_ENDED'].map((c) => isTransientDbError(pgError(c, c)))).toEqual([
      true, true, true, true, true, true,
    ]);
    expect([pgError('23505', 'duplicate key'), new Error('no code'), 'text'].map(isTransientDbError)).toEqual([false, false, false]);
  });
});
