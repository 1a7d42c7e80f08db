/**
 * The catalog surface of pgmq 1.13.0 (test/sql/pgmq/pgmq-1.13.0-manifest.json, a copy of
 * shared/pgmq/manifest.json, read from pg_catalog of the real thing) and helpers that read the
 * same surface from a database and list the differences in words.
 *
 * @example
 *   const problems = compareFunctions(loadManifest().functions, await readFunctions(db.sql));
 *   expect(problems).toEqual([]);
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { connect, type Sql } from '../../src/db/connection.js';
import { packageRoot } from '../../src/db/paths.js';
import { installQueueBackend } from '../../src/db/pgmq-backend.js';
import { adminUrl } from './db.js';
import { withDatabase } from './urls.js';

/** Where the manifest copy lives; `WEFT_PGMQ_MANIFEST` points elsewhere (e.g. shared/pgmq/manifest.json). */
export const MANIFEST_PATH = process.env.WEFT_PGMQ_MANIFEST ?? join(packageRoot, 'test', 'sql', 'pgmq', 'pgmq-1.13.0-manifest.json');

export interface CatalogFunction {
  name: string;
  identity_arguments: string;
  arguments: string;
  result: string;
  returns_set: boolean;
  volatility: 'immutable' | 'stable' | 'volatile';
  security_definer: boolean;
  strict: boolean;
  language: string;
  kind: string;
  config: string[] | null;
}

export interface CatalogAttribute {
  name: string;
  type: string;
}

export interface CatalogColumn {
  name: string;
  type: string;
  not_null: boolean;
  default: string | null;
  identity: 'ALWAYS' | 'BY DEFAULT' | null;
  generated: 'STORED' | null;
}

export interface CatalogIndex {
  name: string;
  definition: string;
}

export interface CatalogConstraint {
  name: string;
  type: string;
  definition: string;
}

export interface CatalogRelation {
  relkind: string;
  persistence: 'permanent' | 'unlogged' | 'temporary';
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
  constraints: CatalogConstraint[];
  triggers: string[];
}

export interface CatalogSequence {
  name: string;
  owned_by: string | null;
}

export interface Manifest {
  pgmq_version: string;
  queue_created: string;
  functions: CatalogFunction[];
  types: Record<string, CatalogAttribute[]>;
  relations: Record<string, CatalogRelation>;
  sequences: CatalogSequence[];
}

/** Reads the manifest of pgmq 1.13.0. */
export function loadManifest(path = MANIFEST_PATH): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** `name(identity arguments)`: the key of one overload. */
export function signature(f: Pick<CatalogFunction, 'name' | 'identity_arguments'>): string {
  return `${f.name}(${f.identity_arguments})`;
}

/**
 * Runs catalog queries with search_path = pg_catalog, so that every pgmq name prints
 * schema-qualified, as in the manifest.
 */
async function withCatalogPath<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`set local search_path = pg_catalog`;
    return fn(tx as unknown as Sql);
  })) as T;
}

/** Every function of schema pgmq, as the manifest describes them. */
export async function readFunctions(sql: Sql): Promise<CatalogFunction[]> {
  return withCatalogPath(sql, (tx) => tx<CatalogFunction[]>`
    select p.proname::text as name,
           pg_catalog.pg_get_function_identity_arguments(p.oid) as identity_arguments,
           pg_catalog.pg_get_function_arguments(p.oid) as arguments,
           pg_catalog.pg_get_function_result(p.oid) as result,
           p.proretset as returns_set,
           case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end as volatility,
           p.prosecdef as security_definer,
           p.proisstrict as strict,
           l.lanname::text as language,
           p.prokind::text as kind,
           p.proconfig as config
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_language l on l.oid = p.prolang
    where n.nspname = 'pgmq'
    order by 1, 2`);
}

/** The stand-alone composite types of schema pgmq, attributes in order. */
export async function readTypes(sql: Sql): Promise<Record<string, CatalogAttribute[]>> {
  const rows = await withCatalogPath(sql, (tx) => tx<{ type_name: string; name: string; type: string }[]>`
    select t.typname::text as type_name, a.attname::text as name,
           pg_catalog.format_type(a.atttypid, a.atttypmod) as type
    from pg_catalog.pg_type t
    join pg_catalog.pg_namespace n on n.oid = t.typnamespace
    join pg_catalog.pg_class c on c.oid = t.typrelid and c.relkind = 'c'
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = 'pgmq' and t.typtype = 'c'
    order by t.typname, a.attnum`);
  const types: Record<string, CatalogAttribute[]> = {};
  for (const r of rows) (types[r.type_name] ??= []).push({ name: r.name, type: r.type });
  return types;
}

/** Names of the tables (plain and partitioned) in schema pgmq. */
export async function readTableNames(sql: Sql): Promise<string[]> {
  const rows = await sql<{ relname: string }[]>`
    select c.relname::text as relname
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'pgmq' and c.relkind in ('r', 'p')
    order by 1`;
  return rows.map((r) => r.relname);
}

/** One table of schema pgmq as the manifest describes it, or null when it does not exist. */
export async function readRelation(sql: Sql, name: string): Promise<CatalogRelation | null> {
  return withCatalogPath(sql, async (tx) => {
    const [rel] = await tx<{ oid: number; relkind: string; persistence: CatalogRelation['persistence'] }[]>`
      select c.oid::int as oid, c.relkind::text as relkind,
             case c.relpersistence when 'u' then 'unlogged' when 't' then 'temporary' else 'permanent' end as persistence
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'pgmq' and c.relname = ${name}`;
    if (!rel) return null;
    const columns = await tx<CatalogColumn[]>`
      select a.attname::text as name,
             pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
             a.attnotnull as not_null,
             pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default,
             case a.attidentity when 'a' then 'ALWAYS' when 'd' then 'BY DEFAULT' end as identity,
             case a.attgenerated when 's' then 'STORED' end as generated
      from pg_catalog.pg_attribute a
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = ${rel.oid} and a.attnum > 0 and not a.attisdropped
      order by a.attnum`;
    const indexes = await tx<CatalogIndex[]>`
      select ic.relname::text as name, pg_catalog.pg_get_indexdef(i.indexrelid) as definition
      from pg_catalog.pg_index i
      join pg_catalog.pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = ${rel.oid}
      order by 1`;
    const constraints = await tx<CatalogConstraint[]>`
      select co.conname::text as name, co.contype::text as type,
             pg_catalog.pg_get_constraintdef(co.oid) as definition
      from pg_catalog.pg_constraint co
      where co.conrelid = ${rel.oid}
      order by 1`;
    const triggers = await tx<{ name: string }[]>`
      select tg.tgname::text as name
      from pg_catalog.pg_trigger tg
      where tg.tgrelid = ${rel.oid} and not tg.tgisinternal
      order by 1`;
    return {
      relkind: rel.relkind,
      persistence: rel.persistence,
      columns: [...columns],
      indexes: [...indexes],
      constraints: [...constraints],
      triggers: triggers.map((t) => t.name),
    };
  });
}

/** The sequences of schema pgmq and the column each belongs to (`table.column`). */
export async function readSequences(sql: Sql): Promise<CatalogSequence[]> {
  return sql<CatalogSequence[]>`
    select s.relname::text as name,
           (select t.relname || '.' || a.attname
            from pg_catalog.pg_depend d
            join pg_catalog.pg_class t on t.oid = d.refobjid
            join pg_catalog.pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
            where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
              and d.objid = s.oid
              and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              and d.deptype in ('a', 'i')
            limit 1) as owned_by
    from pg_catalog.pg_class s
    join pg_catalog.pg_namespace n on n.oid = s.relnamespace
    where n.nspname = 'pgmq' and s.relkind = 'S'
    order by 1`;
}

/** The fields of an overload that must equal the manifest's (language is an implementation choice). */
export const COMPARED_FUNCTION_FIELDS = [
  'arguments',
  'result',
  'returns_set',
  'volatility',
  'security_definer',
  'strict',
  'kind',
  'config',
] as const satisfies readonly (keyof CatalogFunction)[];

const show = (v: unknown): string => JSON.stringify(v);

/** Overloads missing from / extra in `actual`, compared as sets of (name, identity arguments). */
export function compareFunctionSets(expected: CatalogFunction[], actual: CatalogFunction[]): string[] {
  const want = new Set(expected.map(signature));
  const have = new Set(actual.map(signature));
  return [
    ...[...want].filter((s) => !have.has(s)).sort().map((s) => `missing function ${s}`),
    ...[...have].filter((s) => !want.has(s)).sort().map((s) => `extra function ${s}`),
  ];
}

/** Field differences of the overloads present in both lists. */
export function compareFunctionFields(expected: CatalogFunction[], actual: CatalogFunction[]): string[] {
  const bySignature = new Map(actual.map((f) => [signature(f), f]));
  const problems: string[] = [];
  for (const want of [...expected].sort((a, b) => signature(a).localeCompare(signature(b)))) {
    const have = bySignature.get(signature(want));
    if (!have) continue;
    for (const field of COMPARED_FUNCTION_FIELDS) {
      if (show(want[field] ?? null) !== show(have[field] ?? null)) {
        problems.push(`${signature(want)}: ${field} expected ${show(want[field])}, got ${show(have[field])}`);
      }
    }
  }
  return problems;
}

/** Differences of two ordered lists of records, one line per position or per missing entry. */
export function compareOrdered<T extends { name: string }>(what: string, expected: T[], actual: T[]): string[] {
  const problems: string[] = [];
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const want = expected[i];
    const have = actual[i];
    if (want === undefined) problems.push(`${what}: extra #${i + 1} ${show(have)}`);
    else if (have === undefined) problems.push(`${what}: missing #${i + 1} ${show(want)}`);
    else if (show(normalise(want)) !== show(normalise(have))) {
      problems.push(`${what} #${i + 1}: expected ${show(normalise(want))}, got ${show(normalise(have))}`);
    }
  }
  return problems;
}

function normalise<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/** Differences of one table against the manifest's description (null = the table is missing). */
export function compareRelation(name: string, expected: CatalogRelation, actual: CatalogRelation | null): string[] {
  if (!actual) return [`missing table pgmq.${name}`];
  const problems: string[] = [];
  if (expected.relkind !== actual.relkind) problems.push(`${name}: relkind expected ${expected.relkind}, got ${actual.relkind}`);
  if (expected.persistence !== actual.persistence) {
    problems.push(`${name}: persistence expected ${expected.persistence}, got ${actual.persistence}`);
  }
  problems.push(...compareOrdered(`${name} column`, expected.columns, actual.columns));
  const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name));
  problems.push(...compareOrdered(`${name} index`, byName(expected.indexes), byName(actual.indexes)));
  problems.push(...compareOrdered(`${name} constraint`, byName(expected.constraints), byName(actual.constraints)));
  const wantTriggers = show([...expected.triggers].sort());
  const haveTriggers = show([...actual.triggers].sort());
  if (wantTriggers !== haveTriggers) problems.push(`${name}: triggers expected ${wantTriggers}, got ${haveTriggers}`);
  return problems;
}

/** A database holding nothing but the compat schema. */
export interface BareCompatDatabase {
  name: string;
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

/**
 * An empty database (from template0, not the migrated template, which holds weft's own queues)
 * with only the compat schema installed, by the same installer `weft migrate` uses. This is
 * the setting the manifest was read in.
 */
export async function bareCompatDatabase(label = 'pgmq_bare'): Promise<BareCompatDatabase> {
  const root = adminUrl();
  const name = `${inject('testDbPrefix')}${label}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(root, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${name}" template template0`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(root, name);
  const installer = connect(url, { max: 1, applicationName: 'weft-test-install' });
  try {
    await installQueueBackend(installer, { preferCompat: true });
  } finally {
    await installer.end({ timeout: 5 });
  }
  const sql = connect(url, { max: 2, applicationName: 'weft-test' });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(root, { max: 1, onnotice: () => undefined });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
