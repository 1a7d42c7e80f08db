/**
 * Loads the configuration, each layer over the one before:
 *
 *   1. the schema's defaults and config/default.toml
 *   2. config/<WEFT_ENV>.toml (development, test or production; default development)
 *   3. config/local.toml (git-ignored; a developer's own settings)
 *   4. environment: DATABASE_URL, then `WEFT_<SECTION>_<KEY>` (WEFT_DATABASE_URL wins over DATABASE_URL)
 *   5. command-line flags
 *
 * then validates the result. A bad value stops with one ConfigError naming the key, the value
 * and where it came from.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { redact } from '../db/connection.js';
import { ConfigError } from '../db/errors.js';
import { configDir as packagedConfigDir } from '../db/paths.js';
import { coerce, configKeys, keyForEnvVar, keyInfo, reservedEnvVars } from './keys.js';
import { ENVIRONMENTS, configSchema, configSections, type WeftConfig } from './schema.js';

/** Where a value came from: `default` (schema or default.toml), a `file`, an `env` variable or a `flag`. */
export interface ConfigSource {
  kind: 'default' | 'file' | 'env' | 'flag';
  /** `built-in`, `computed`, a file path, a variable name or a flag. */
  name: string;
}

export interface ConfigFlags {
  /** `--config-dir`: the folder holding default.toml and the overlays. */
  configDir?: string;
  /** `--env`: the overlay to apply (like WEFT_ENV). */
  env?: string;
  /** Values for configuration keys by dotted path, e.g. `{ 'log.level': 'debug' }`; strings are coerced. */
  values?: Record<string, unknown>;
  /** The flag each value was given with, for messages; default `--<section>-<key>`. */
  names?: Record<string, string>;
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  /** Folder that relative paths (config dir, embedded data dir) are resolved against. */
  cwd?: string;
}

export interface LoadedConfig {
  config: WeftConfig;
  /** Where each key's value came from, by dotted path. */
  sources: Record<string, ConfigSource>;
  /** The overlay applied (WEFT_ENV). */
  environment: string;
  /** The folder the TOML files were read from. */
  configDir: string;
  /** The TOML files that were read, in order. */
  files: string[];
}

interface Layer {
  source: ConfigSource;
  /** Values by dotted path. */
  values: Map<string, unknown>;
}

const BUILT_IN: ConfigSource = { kind: 'default', name: 'built-in' };

/** Human wording of a source, for messages and `weft config`. */
export function describeSource(source: ConfigSource, cwd = process.cwd()): string {
  switch (source.kind) {
    case 'default':
      return source.name === 'built-in' || source.name === 'computed' ? `default (${source.name})` : `default (${displayPath(source.name, cwd)})`;
    case 'file':
      return displayPath(source.name, cwd);
    case 'env':
      return `environment variable ${source.name}`;
    case 'flag':
      return `flag ${source.name}`;
  }
}

/** A value as shown in messages: JSON, with a database URL's password hidden. */
export function displayValue(path: string, value: unknown): string {
  if (path === 'database.url' && typeof value === 'string') return JSON.stringify(redact(value));
  return JSON.stringify(value) ?? String(value);
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function unknownKeyMessage(path: string, where: string): string {
  const [section] = path.split('.');
  const inSection = configKeys().filter((k) => k.section === section);
  const hint =
    inSection.length > 0
      ? `known keys in [${section}]: ${inSection.map((k) => k.key).join(', ')}`
      : `known sections: ${Object.keys(configSections).join(', ')}`;
  return `Unknown configuration key ${path} in ${where} (${hint}).`;
}

function readTomlLayer(file: string, kind: 'default' | 'file', cwd: string): Layer {
  let table: Record<string, unknown>;
  try {
    table = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0]?.replace(/\.$/, '') ?? 'parse error';
      throw new ConfigError(`${displayPath(file, cwd)} is not valid TOML: ${first} (line ${err.line}, column ${err.column}).`, { cause: err });
    }
    throw new ConfigError(`Cannot read configuration file ${displayPath(file, cwd)}: ${(err as Error).message}.`, { cause: err });
  }
  const values = new Map<string, unknown>();
  for (const [section, content] of Object.entries(table)) {
    if (content === null || typeof content !== 'object' || Array.isArray(content) || content instanceof Date) {
      if (section in configSections) {
        throw new ConfigError(`Configuration key ${section} in ${displayPath(file, cwd)} must be a table ([${section}]), got ${JSON.stringify(content)}.`);
      }
      throw new ConfigError(unknownKeyMessage(section, displayPath(file, cwd)));
    }
    for (const [key, value] of Object.entries(content as Record<string, unknown>)) {
      const path = `${section}.${key}`;
      if (!keyInfo(path)) throw new ConfigError(unknownKeyMessage(path, displayPath(file, cwd)));
      values.set(path, value);
    }
  }
  return { source: { kind, name: file }, values };
}

function envLayers(env: Record<string, string | undefined>): Layer[] {
  const layers: Layer[] = [];
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl !== undefined && databaseUrl !== '') {
    layers.push({ source: { kind: 'env', name: 'DATABASE_URL' }, values: new Map([['database.url', databaseUrl]]) });
  }
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('WEFT_') || reservedEnvVars.has(name)) continue;
    const raw = env[name];
    const info = keyForEnvVar(name);
    if (!info) {
      throw new ConfigError(
        `Unknown environment variable ${name}=${JSON.stringify(raw)}: no configuration key maps to it (variables are WEFT_<SECTION>_<KEY>, e.g. WEFT_API_PORT; see docs/configuration.md).`,
      );
    }
    if (raw === undefined || raw === '') continue;
    layers.push({ source: { kind: 'env', name }, values: new Map([[info.path, coerce(info, raw)]]) });
  }
  return layers;
}

function flagLayers(flags: ConfigFlags): Layer[] {
  const layers: Layer[] = [];
  for (const [path, raw] of Object.entries(flags.values ?? {})) {
    if (raw === undefined) continue;
    const info = keyInfo(path);
    const name = flags.names?.[path] ?? info?.flag ?? path;
    if (!info) throw new ConfigError(unknownKeyMessage(path, `flag ${name}`));
    layers.push({ source: { kind: 'flag', name }, values: new Map([[path, coerce(info, raw)]]) });
  }
  return layers;
}

function resolveConfigDir(options: LoadConfigOptions, cwd: string): string {
  const given = options.flags?.configDir ?? (options.env?.WEFT_CONFIG_DIR || undefined);
  if (given !== undefined) {
    const dir = resolve(cwd, given);
    const from = options.flags?.configDir !== undefined ? 'flag --config-dir' : 'environment variable WEFT_CONFIG_DIR';
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigError(`Configuration directory ${JSON.stringify(given)} (from ${from}) does not exist.`);
    }
    return dir;
  }
  const local = join(cwd, 'config');
  return existsSync(join(local, 'default.toml')) ? local : packagedConfigDir;
}

function resolveEnvironment(options: LoadConfigOptions, dir: string): string {
  const fromFlag = options.flags?.env;
  const name = fromFlag ?? (options.env?.WEFT_ENV || 'development');
  const from = fromFlag !== undefined ? 'flag --env' : 'environment variable WEFT_ENV';
  const known = (ENVIRONMENTS as readonly string[]).includes(name);
  if (!/^[a-z][a-z0-9_-]*$/.test(name) || (!known && !existsSync(join(dir, `${name}.toml`)))) {
    throw new ConfigError(
      `Unknown environment ${JSON.stringify(name)} (from ${from}): expected ${ENVIRONMENTS.join(', ')}, or a name with a file ${name}.toml in the configuration directory.`,
    );
  }
  return name;
}

function getIn(raw: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function validationError(issues: z.core.$ZodIssue[], raw: Record<string, unknown>, sources: Record<string, ConfigSource>, cwd: string): ConfigError {
  const issue = issues[0]!;
  let pathParts = issue.path;
  if (issue.code === 'unrecognized_keys') pathParts = [...issue.path, issue.keys[0] ?? '?'];
  const path = pathParts.map(String).join('.');
  const value = getIn(raw, pathParts);
  const source = sources[path] ?? BUILT_IN;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const reason = issue.message.replace(/^Invalid input: /, '').replace(/\.$/, '');
  return new ConfigError(
    `Invalid configuration value ${path} = ${displayValue(path, value)} from ${describeSource(source, cwd)}: ${reason}${more}.`,
  );
}

/**
 * Loads and validates the configuration.
 *
 * @example
 *   const { config, sources } = loadConfig({ env: process.env, flags: { values: { 'log.level': 'debug' } } });
 *   config.api.port            // 8787
 *   sources['log.level']       // { kind: 'flag', name: '--log-level' }
 * @throws ConfigError (exit code 2) naming the key, the value and its source.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const dir = resolveConfigDir({ ...options, env }, cwd);
  const environment = resolveEnvironment({ ...options, env }, dir);

  const files: string[] = [];
  const layers: Layer[] = [];
  const candidates: Array<[string, 'default' | 'file']> = [
    [join(dir, 'default.toml'), 'default'],
    [join(dir, `${environment}.toml`), 'file'],
    [join(dir, 'local.toml'), 'file'],
  ];
  for (const [file, kind] of candidates) {
    if (!existsSync(file)) continue;
    files.push(file);
    layers.push(readTomlLayer(file, kind, cwd));
  }
  layers.push(...envLayers(env), ...flagLayers(options.flags ?? {}));

  const raw: Record<string, Record<string, unknown>> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const layer of layers) {
    for (const [path, value] of layer.values) {
      const [section, key] = path.split('.') as [string, string];
      (raw[section] ??= {})[key] = value;
      sources[path] = layer.source;
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error.issues, raw, sources, cwd);

  const config = parsed.data as WeftConfig;
  if (config.orchestrator.processor_id === undefined) {
    config.orchestrator.processor_id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    sources['orchestrator.processor_id'] = { kind: 'default', name: 'computed' };
  }
  for (const info of configKeys()) sources[info.path] ??= BUILT_IN;
  return { config, sources, environment, configDir: dir, files };
}
