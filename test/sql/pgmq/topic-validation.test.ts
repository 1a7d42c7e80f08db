/**
 * pgmq.validate_routing_key and pgmq.validate_topic_pattern (pgmq 1.13.0 §2.8, §7): what is
 * accepted, every error text, and which check wins when a value breaks several rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase('topic_validation');
});
afterAll(async () => {
  await db.drop();
});

const routingKey = (key: string | null) => db.sql`select pgmq.validate_routing_key(${key}::text) as ok`;
const topicPattern = (pattern: string | null) => db.sql`select pgmq.validate_topic_pattern(${pattern}::text) as ok`;

describe('pgmq.validate_routing_key', () => {
  it.each(['logs', 'logs.error', 'app.user-service.auth', 'system_events.db.connection_failed', 'A.b-C_9', 'x'.repeat(255)])(
    'accepts %s',
    async (key) => {
      expect(await routingKey(key)).toEqual([{ ok: true }]);
    },
  );

  it.each([
    // [input, expected message, the rule it shows]
    [null, 'routing_key cannot be NULL or empty'],
    ['', 'routing_key cannot be NULL or empty'],
    // 256 invalid characters with dots at both ends: the length check comes first.
    ['.' + '!'.repeat(254) + '.', 'routing_key length cannot exceed 255 characters, got 256 characters'],
    // Invalid characters beat the dot rules.
    ['.logs..error!', 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: .logs..error!'],
    ['logs error', 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: logs error'],
    ['logs.*', 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: logs.*'],
    ['logs.#', 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: logs.#'],
    ['café', 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: café'],
    // Leading dot beats trailing dot and `..`.
    ['..logs.', 'routing_key cannot start with a dot. Got: ..logs.'],
    // Trailing dot beats `..`.
    ['logs..', 'routing_key cannot end with a dot. Got: logs..'],
    ['logs..error', 'routing_key cannot contain consecutive dots. Got: logs..error'],
  ])('rejects %j', async (key, message) => {
    await expect(routingKey(key)).rejects.toMatchObject({ code: 'P0001', message });
  });

  it('counts characters, not bytes', async () => {
    // 256 two-byte characters: reported as 256 characters.
    await expect(routingKey('é'.repeat(256))).rejects.toMatchObject({
      message: 'routing_key length cannot exceed 255 characters, got 256 characters',
    });
  });
});

describe('pgmq.validate_topic_pattern', () => {
  it.each(['logs.*', 'logs.#', '*.error', '#.error', 'app.*.#', '#', '*', 'a-b_c.D9', 'x'.repeat(255)])('accepts %s', async (pattern) => {
    expect(await topicPattern(pattern)).toEqual([{ ok: true }]);
  });

  const invalidChars = (p: string) =>
    `pattern contains invalid characters. Only alphanumeric, dots, hyphens, underscores, *, and # are allowed. Got: ${p}`;

  it.each([
    [null, 'pattern cannot be NULL or empty'],
    ['', 'pattern cannot be NULL or empty'],
    ['.' + '*'.repeat(254) + '.', 'pattern length cannot exceed 255 characters, got 256 characters'],
    ['.logs.**!', invalidChars('.logs.**!')],
    ['logs error', invalidChars('logs error')],
    ['logs.+', invalidChars('logs.+')],
    ['..*.', 'pattern cannot start with a dot. Got: ..*.'],
    ['logs.**.', 'pattern cannot end with a dot. Got: logs.**.'],
    ['logs..**', 'pattern cannot contain consecutive dots. Got: logs..**'],
    // `**` beats `##` and the adjacent-wildcard rule.
    ['logs.**#.##', 'pattern cannot contain consecutive stars (**). Use # for multi-segment matching. Got: logs.**#.##'],
    // `##` beats the adjacent-wildcard rule.
    ['logs.##*', 'pattern cannot contain consecutive hashes (##). A single # already matches zero or more segments. Got: logs.##*'],
    ['logs.*#', 'pattern cannot contain adjacent wildcards (*# or #*). Separate wildcards with dots. Got: logs.*#'],
    ['logs.#*', 'pattern cannot contain adjacent wildcards (*# or #*). Separate wildcards with dots. Got: logs.#*'],
  ])('rejects %j', async (pattern, message) => {
    await expect(topicPattern(pattern)).rejects.toMatchObject({ code: 'P0001', message });
  });
});

describe('catalog', () => {
  it('declares both validators IMMUTABLE, returning boolean', async () => {
    const rows = await db.sql<{ name: string; volatility: string; result: string }[]>`
      select p.proname as name, p.provolatile as volatility, pg_catalog.pg_get_function_result(p.oid) as result
      from pg_catalog.pg_proc p
      where p.pronamespace = 'pgmq'::regnamespace and p.proname in ('validate_routing_key', 'validate_topic_pattern')
      order by p.proname`;
    expect(rows).toEqual([
      { name: 'validate_routing_key', volatility: 'i', result: 'boolean' },
      { name: 'validate_topic_pattern', volatility: 'i', result: 'boolean' },
    ]);
  });
});
