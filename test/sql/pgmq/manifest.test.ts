/**
 * The compat schema's catalog equals pgmq 1.13.0's (test/sql/pgmq/pgmq-1.13.0-manifest.json,
 * read from pg_catalog of the real pgmq after `select pgmq.create('x')`). As the manifest was
 * read, the schema is installed into an empty database (not the migrated template, whose weft
 * queues would be extra tables). Each failure lists what is missing, extra or different.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bareCompatDatabase,
  compareFunctionFields,
  compareFunctionSets,
  compareOrdered,
  compareRelation,
  loadManifest,
  readFunctions,
  readRelation,
  readSequences,
  readTableNames,
  readTypes,
  type BareCompatDatabase,
  type Manifest,
} from '../../support/pgmq-manifest.js';

let db: BareCompatDatabase;
const manifest: Manifest = loadManifest();

beforeAll(async () => {
  db = await bareCompatDatabase('pgmq_manifest');
  await db.sql`select pgmq.create(${manifest.queue_created})`;
});
afterAll(async () => {
  await db.drop();
});

describe('pgmq compat schema against the pgmq 1.13.0 manifest', () => {
  it('has exactly the manifest overloads: no missing and no extra (name, identity arguments)', async () => {
    const actual = await readFunctions(db.sql);
    expect(compareFunctionSets(manifest.functions, actual)).toEqual([]);
    expect(actual).toHaveLength(manifest.functions.length);
  });

  it('gives each overload the manifest arguments (names, defaults), result, set-ness, volatility and security', async () => {
    const actual = await readFunctions(db.sql);
    expect(compareFunctionFields(manifest.functions, actual)).toEqual([]);
  });

  it('has the three composite types with their attributes in order, and no other', async () => {
    const actual = await readTypes(db.sql);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(manifest.types).sort());
    const problems = Object.entries(manifest.types).flatMap(([name, attributes]) =>
      compareOrdered(`type ${name} attribute`, attributes, actual[name] ?? []),
    );
    expect(problems).toEqual([]);
  });

  it('has exactly the manifest tables after create(x)', async () => {
    expect(await readTableNames(db.sql)).toEqual(Object.keys(manifest.relations).sort());
  });

  it.each(Object.keys(manifest.relations).sort())(
    'table pgmq.%s has the manifest columns (in order), indexes, constraints and triggers',
    async (name) => {
      const expected = manifest.relations[name]!;
      expect(compareRelation(name, expected, await readRelation(db.sql, name))).toEqual([]);
    },
  );

  it('has the identity sequence of q_x, owned by q_x.msg_id, and no other sequence', async () => {
    const actual = await readSequences(db.sql);
    expect(compareOrdered('sequence', manifest.sequences, actual)).toEqual([]);
  });
});
