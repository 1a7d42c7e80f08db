/**
 * Typed errors and the short list of SQLSTATEs weft reacts to.
 *
 * weft's own SQL functions raise SQLSTATEs of class `WF` (see docs/errors.md and
 * sql/weft/000-errors.sql); everything else comes from PostgreSQL itself.
 */

/** SQLSTATEs raised by weft's SQL functions. Keep in sync with docs/errors.md. */
export const WeftSqlState = {
  invalidArgument: 'WF001',
  workflowNotFound: 'WF002',
  workflowInvalid: 'WF003',
  workflowVersionConflict: 'WF004',
  taskNotFound: 'WF005',
  stepNotFound: 'WF006',
  staleAttempt: 'WF007',
  illegalTransition: 'WF008',
  idempotencyConflict: 'WF009',
  namespaceNotFound: 'WF010',
  claimNotHeld: 'WF011',
  permissionDenied: 'WF012',
} as const;
export type WeftSqlStateName = keyof typeof WeftSqlState;

/** PostgreSQL SQLSTATEs the TypeScript code treats specially. */
export const PgSqlState = {
  undefinedTable: '42P01',
  insufficientPrivilege: '42501',
  invalidCatalogName: '3D000',
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  adminShutdown: '57P01',
  cannotConnectNow: '57P03',
  raiseException: 'P0001',
} as const;

/** Base class of every error weft throws on purpose. */
export class WeftError extends Error {
  override name = 'WeftError';
  /** Process exit code the CLI uses when this error ends a command. */
  exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad configuration: a key, a value and where it came from. Exit code 2. */
export class ConfigError extends WeftError {
  override name = 'ConfigError';
  override exitCode = 2;
}

/** The database could not be reached, or refused us. Exit code 3. */
export class DatabaseUnavailableError extends WeftError {
  override name = 'DatabaseUnavailableError';
  override exitCode = 3;
}

/** The database schema is not what this build of weft expects. Exit code 4. */
export class SchemaError extends WeftError {
  override name = 'SchemaError';
  override exitCode = 4;
}

/** An error raised by a weft SQL function, with its SQLSTATE, detail and hint kept. */
export class WeftSqlError extends WeftError {
  override name = 'WeftSqlError';
  readonly code: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  constructor(message: string, code: string, detail?: string, hint?: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
    this.detail = detail;
    this.hint = hint;
  }
  /** True when the SQLSTATE is the given weft code name. */
  is(name: WeftSqlStateName): boolean {
    return this.code === WeftSqlState[name];
  }
}

interface PgLikeError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

/** Returns the SQLSTATE of a database error, or undefined. */
export function sqlStateOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && typeof (err as PgLikeError).code === 'string') {
    return (err as PgLikeError).code as string;
  }
  return undefined;
}

/** Turns anything thrown into an Error (graphile-worker's coerceError). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (err && typeof err === 'object' && 'message' in err) {
    return new Error(String((err as { message: unknown }).message));
  }
  return new Error(String(err));
}

/** Maps a postgres.js error raised by a weft function to a WeftSqlError; other errors pass through. */
export function fromPgError(err: unknown): Error {
  const code = sqlStateOf(err);
  if (code && code.startsWith('WF')) {
    const e = err as PgLikeError;
    return new WeftSqlError(
      String(e.message),
      code,
      typeof e.detail === 'string' ? e.detail : undefined,
      typeof e.hint === 'string' ? e.hint : undefined,
      err,
    );
  }
  return coerceError(err);
}
