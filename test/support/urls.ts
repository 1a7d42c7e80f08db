/**
 * Names and URLs shared by the global setup and the per-file databases.
 *
 * Every test run has its own id (base-36 start time + random), so several runs on one server
 * (two engineers, CI and a developer) never drop each other's databases: a run drops only its
 * own, and databases of runs older than STALE_AFTER_MS (crashed runs) at start.
 */
export const TEST_DB_ROOT = 'weft_t';
export const STALE_AFTER_MS = 3 * 60 * 60 * 1000;

/** A new run id: `<ms since epoch, base 36>x<4 random base-36 chars>`. */
export function newRunId(): string {
  return `${Date.now().toString(36)}x${Math.random().toString(36).slice(2, 6)}`;
}

export function templateName(runId: string): string {
  return `${TEST_DB_ROOT}_${runId}_template`;
}

export function testDbPrefix(runId: string): string {
  return `${TEST_DB_ROOT}_${runId}_`;
}

/** The start time encoded in a test database name, or null when it is not one of ours. */
export function runStartOf(datname: string): number | null {
  const m = new RegExp(`^${TEST_DB_ROOT}_([0-9a-z]+)x[0-9a-z]+_`).exec(datname);
  return m ? Number.parseInt(m[1]!, 36) : null;
}

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}
