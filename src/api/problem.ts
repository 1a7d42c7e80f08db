/**
 * RFC 9457 problem details: every error the API returns is an `application/problem+json` body
 * `{ type, title, status, detail, code?, hint?, errors? }`.
 *
 * - `type` is `urn:weft:problem:<name>`; for a weft SQL error `<name>` is its row in
 *   weft.error_codes (`workflow_not_found` for WF002) and `code` is its SQLSTATE.
 * - Plain HTTP conditions (unknown route, unsupported media type) use `about:blank`, whose title
 *   is the HTTP status phrase (RFC 9457 §4.2.1).
 *
 * The SQLSTATE → HTTP status mapping lives here and in docs/api.md.
 */
import type { ZodError } from 'zod';
import { HTTPException } from 'hono/http-exception';
import { PgSqlState, WeftSqlError, sqlStateOf } from '../db/errors.js';

/** A problem details object (RFC 9457) with weft's extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The SQLSTATE (class WF) when a weft SQL function raised the error. */
  code?: string;
  /** What to do about it, from the SQL error's HINT. */
  hint?: string;
  /** One entry per invalid input field (validation errors only). */
  errors?: ProblemFieldError[];
}

export interface ProblemFieldError {
  /** Where the bad value was: `body`, `query`, `path` or `header`. */
  location: string;
  /** Dotted path inside that location (`steps.0.name`); empty for the whole thing. */
  path: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_PREFIX = 'urn:weft:problem:';

/** `urn:weft:problem:<name>`. */
export function problemType(name: string): string {
  return TYPE_PREFIX + name;
}

interface SqlStateInfo {
  name: string;
  title: string;
  status: number;
}

/**
 * Each weft SQLSTATE with its problem name (as in weft.error_codes), title and HTTP status.
 * 400: the request is wrong as sent; 404: what it names does not exist; 409: it conflicts with
 * the current state; 422: well-formed, but the workflow definition is invalid.
 */
export const sqlStateProblems: Readonly<Record<string, SqlStateInfo>> = {
  WF001: { name: 'invalid_argument', title: 'Invalid argument', status: 400 },
  WF002: { name: 'workflow_not_found', title: 'Workflow not found', status: 404 },
  WF003: { name: 'workflow_invalid', title: 'Invalid workflow definition', status: 422 },
  WF004: { name: 'workflow_version_conflict', title: 'Workflow version conflict', status: 409 },
  WF005: { name: 'task_not_found', title: 'Task not found', status: 404 },
  WF006: { name: 'step_not_found', title: 'Step not found', status: 404 },
  WF007: { name: 'stale_attempt', title: 'Stale attempt', status: 409 },
  WF008: { name: 'illegal_transition', title: 'Illegal state transition', status: 409 },
  WF009: { name: 'idempotency_conflict', title: 'Idempotency key conflict', status: 409 },
  WF010: { name: 'namespace_not_found', title: 'Namespace not found', status: 404 },
  WF011: { name: 'claim_not_held', title: 'Finalization claim not held', status: 409 },
  WF012: { name: 'permission_denied', title: 'Permission denied', status: 403 },
};

/** An error a route throws on purpose; the error handler turns it into its problem body. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  readonly problem: Problem;
  constructor(problem: Problem, options?: { cause?: unknown }) {
    super(problem.detail, options);
    this.problem = problem;
  }
}

/** The problem of a weft SQLSTATE, for errors the API detects itself (e.g. a task id not found). */
export function sqlStateProblem(code: string, detail: string, hint?: string): ApiProblem {
  const info = sqlStateProblems[code] ?? { name: 'error', title: 'Error', status: 400 };
  return new ApiProblem({ type: problemType(info.name), title: info.title, status: info.status, detail, code, ...(hint ? { hint } : {}) });
}

const statusTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An `about:blank` problem: the title is the status phrase. */
export function httpProblem(status: number, detail: string): Problem {
  return { type: 'about:blank', title: statusTitles[status] ?? 'Error', status, detail };
}

const validationLocations: Record<string, string> = { json: 'body', form: 'body', query: 'query', param: 'path', header: 'header', cookie: 'cookie' };

/** The 400 problem of a request that failed its zod schema (`target` is hono's validation target). */
export function validationProblem(error: ZodError, target: string): Problem {
  const location = validationLocations[target] ?? target;
  const errors = error.issues.map((issue) => ({
    location,
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const describe = (e: ProblemFieldError): string => `${e.location}${e.path ? `.${e.path}` : ''}: ${e.message}`;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return {
    type: problemType('invalid_request'),
    title: 'Invalid request',
    status: 400,
    detail: errors.length > 0 ? `${describe(errors[0]!)}${more}` : 'The request is invalid.',
    errors,
  };
}

/** Connection-level failures: the database is not answering. */
const unavailableCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED',
  'CONNECTION_ENDED', 'CONNECTION_DESTROYED', PgSqlState.cannotConnectNow, PgSqlState.adminShutdown, '57P02', '57P03', '53300',
]);

/** True when the error says the database is unreachable or going away. */
export function isUnavailable(err: unknown): boolean {
  const code = sqlStateOf(err);
  return code !== undefined && unavailableCodes.has(code);
}

/**
 * Turns anything a route threw into its problem. Unknown errors become a 500 whose detail
 * says nothing about internals (the error handler logs the error itself).
 *
 * @example problemFromError(new WeftSqlError('task x not found', 'WF005')).status // 404
 */
export function problemFromError(err: unknown): Problem {
  if (err instanceof ApiProblem) return err.problem;
  if (err instanceof WeftSqlError) {
    return sqlStateProblem(err.code, err.message, err.hint).problem;
  }
  if (err instanceof HTTPException) {
    if (err.status === 400 && /malformed json/i.test(err.message)) {
      return { type: problemType('malformed_json'), title: 'Malformed JSON', status: 400, detail: 'The request body is not valid JSON.' };
    }
    if (err.status === 415) return httpProblem(415, 'Send the request body as JSON, with the header Content-Type: application/json.');
    return httpProblem(err.status, err.message || statusTitles[err.status] || 'HTTP error');
  }
  if (isUnavailable(err)) {
    return {
      type: problemType('database_unavailable'),
      title: 'Database unavailable',
      status: 503,
      detail: 'The database is not answering; try again shortly.',
    };
  }
  // Class 22 (data exception): a value PostgreSQL itself refused, e.g. an out-of-range timestamp.
  const code = sqlStateOf(err);
  if (code?.startsWith('22') && err instanceof Error) {
    return { type: problemType('invalid_argument'), title: 'Invalid argument', status: 400, detail: err.message };
  }
  return httpProblem(500, 'The server failed to handle the request; the error is in its log.');
}

/** The HTTP response of a problem. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}
