/**
 * What the loader needs to know about each configuration key, read from the zod schema: its
 * dotted name, its environment variable, its flag, and how to turn a string into its type.
 */
import type { z } from 'zod';
import { configSections } from './schema.js';

/** The type of a key's value, as far as string coercion cares. */
export type KeyKind = 'string' | 'number' | 'boolean' | 'list' | 'enum';

export interface KeyInfo {
  /** `section.key`, e.g. `api.port`. */
  path: string;
  section: string;
  key: string;
  kind: KeyKind;
  /** `WEFT_<SECTION>_<KEY>`, e.g. `WEFT_API_PORT`. */
  envVar: string;
  /** `--<section>-<key>` with dashes, e.g. `--api-port`. */
  flag: string;
  /** The schema's default, or undefined (optional key, or computed at load). */
  defaultValue: unknown;
}

/** `WEFT_*` variables that are not configuration keys. Others may add theirs here. */
export const reservedEnvVars = new Set<string>([
  'WEFT_ENV',
  'WEFT_CONFIG_DIR',
  // set by the test harness (test/support/global-setup.ts) for the processes it starts
  'WEFT_TEST_ADMIN_URL',
]);

interface DefLike {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): DefLike {
  return (schema as unknown as { def: DefLike }).def;
}

/** Unwraps default/optional/prefault/nullable/pipe wrappers down to the value's schema. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function kindOf(schema: z.ZodType): KeyKind {
  const type = defOf(unwrap(schema)).type;
  switch (type) {
    case 'number':
    case 'int':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'list';
    case 'enum':
    case 'literal':
      return 'enum';
    default:
      return 'string';
  }
}

function defaultOf(schema: z.ZodType): unknown {
  const result = schema.safeParse(undefined);
  return result.success ? result.data : undefined;
}

let cache: KeyInfo[] | undefined;

/** Every configuration key, in schema order. */
export function configKeys(): KeyInfo[] {
  if (cache) return cache;
  const keys: KeyInfo[] = [];
  for (const [section, object] of Object.entries(configSections)) {
    for (const [key, schema] of Object.entries(object.shape as Record<string, z.ZodType>)) {
      keys.push({
        path: `${section}.${key}`,
        section,
        key,
        kind: kindOf(schema),
        envVar: `WEFT_${section}_${key}`.toUpperCase(),
        flag: `--${section}-${key}`.replace(/_/g, '-'),
        defaultValue: defaultOf(schema),
      });
    }
  }
  cache = keys;
  return keys;
}

/** The key with this dotted path, or undefined. */
export function keyInfo(path: string): KeyInfo | undefined {
  return configKeys().find((k) => k.path === path);
}

/** The key read from this environment variable, or undefined. */
export function keyForEnvVar(name: string): KeyInfo | undefined {
  return configKeys().find((k) => k.envVar === name);
}

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

/**
 * Turns a string from an environment variable or a flag into the key's type. A string that
 * does not convert is returned unchanged, so that validation reports it as the bad value.
 *
 * @example coerce(keyInfo('api.port')!, '9000') // 9000
 * @example coerce(keyInfo('worker.namespaces')!, 'a, b') // ['a', 'b']
 */
export function coerce(info: KeyInfo, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const text = raw.trim();
  switch (info.kind) {
    case 'number': {
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (truthy.has(lower)) return true;
      if (falsy.has(lower)) return false;
      return raw;
    }
    case 'list': {
      if (text.startsWith('[')) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return raw;
        }
      }
      return text === '' ? [] : text.split(',').map((s) => s.trim());
    }
    default:
      return raw;
  }
}
