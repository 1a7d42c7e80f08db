/**
 * The configuration schema: one strict zod object per section, every key with its default.
 *
 * To add a key: add it to its section below (with `.default()` unless it is optional), add it
 * with a comment to config/default.toml and a row to docs/configuration.md. Its environment
 * variable (`WEFT_<SECTION>_<KEY>`), string coercion and error messages follow from the schema;
 * `test/unit/config-files.test.ts` checks that default.toml and the docs name every key.
 */
import { cpus } from 'node:os';
import { z } from 'zod';
import { parseDatabaseUrl } from '../db/connection.js';

/** Environments with an overlay file in config/ (`WEFT_ENV`, `--env`). */
export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = () => z.number().int().min(1).max(65535);
const positiveInt = () => z.number().int().min(1);
const millis = () => z.number().int().min(1);

/** A PostgreSQL URL, checked with the same parser the connection code uses. */
const databaseUrl = z.string().refine(
  (value) => {
    try {
      parseDatabaseUrl(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a PostgreSQL URL such as postgres://user:password@host:5432/database' },
);

/** The default worker concurrency: min(CPU count, 4). */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(cpus().length, 4));
}

/** Sections of the configuration. Each is strict: a key it does not name is an error. */
export const configSections = {
  database: z.strictObject({
    /** Unset: `weft dev` / `weft migrate` use the embedded PostgreSQL. */
    url: databaseUrl.optional(),
    pool_size: positiveInt().default(10),
    connect_attempts: positiveInt().default(5),
    application_name: z.string().min(1).default('weft'),
  }),
  embedded: z.strictObject({
    data_dir: z.string().min(1).default('.weft/pg'),
    port: port().default(54329),
  }),
  log: z.strictObject({
    level: z.enum(LOG_LEVELS).default('info'),
    pretty: z.boolean().default(false),
  }),
  orchestrator: z.strictObject({
    /** Unset: `<hostname>-<pid>-<random>`, filled in by loadConfig. */
    processor_id: z.string().min(1).optional(),
    poll_interval_ms: millis().default(1000),
    batch_size: positiveInt().default(100),
    claim_ttl_ms: millis().default(30_000),
    sweep_interval_ms: millis().default(1000),
  }),
  worker: z.strictObject({
    /** Empty: every namespace. */
    namespaces: z.array(z.string().min(1)).default([]),
    concurrency: positiveInt().default(defaultConcurrency),
    poll_interval_ms: millis().default(1000),
    batch_size: positiveInt().default(50),
    visibility_timeout_s: positiveInt().default(30),
    heartbeat_interval_ms: millis().default(20_000),
    shutdown_grace_ms: z.number().int().min(0).default(10_000),
  }),
  api: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: port().default(8787),
  }),
};

type WithPrefault<S extends Record<string, z.ZodObject>> = { [K in keyof S]: z.ZodPrefault<S[K]> };

/** Each section defaults to `{}` run through its own defaults (zod 4's prefault). */
function withPrefaults<S extends Record<string, z.ZodObject>>(sections: S): WithPrefault<S> {
  const out: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(sections)) out[name] = (section as z.ZodObject).prefault({});
  return out as WithPrefault<S>;
}

/** The whole configuration: a strict object of sections, each defaulting to its defaults. */
export const configSchema = z.strictObject(withPrefaults(configSections));

/** The validated configuration (after defaults), as every command sees it. */
export type WeftConfig = z.output<typeof configSchema> & {
  orchestrator: { processor_id: string };
};
