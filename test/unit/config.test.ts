import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConcurrency, describeSource, formatConfig, loadConfig, type LoadConfigOptions } from '../../src/config/index.js';
import { ConfigError } from '../../src/db/errors.js';

const dirs: string[] = [];

/** A working folder whose config/ holds the given files (default.toml marks it as weft's). */
function configDir(files: Record<string, string>): string {
  files = { 'default.toml': '', ...files };
  const dir = mkdtempSync(join(tmpdir(), 'weft-config-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'config'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'config', name), text);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function load(cwd: string, options: Omit<LoadConfigOptions, 'cwd'> = {}) {
  return loadConfig({ env: {}, ...options, cwd });
}

/** The ConfigError message `fn` throws (fails the test if it throws nothing or something else). */
function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  it('gives every key its default when no file, variable or flag sets it', () => {
    const cwd = configDir({});
    const { config, sources, environment } = load(cwd);
    expect(environment).toBe('development');
    expect(config.database).toEqual({ pool_size: 10, connect_attempts: 5, application_name: 'weft' });
    expect(config.embedded).toEqual({ data_dir: '.weft/pg', port: 54329 });
    expect(config.log).toEqual({ level: 'info', pretty: false });
    expect(config.api).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(config.worker.namespaces).toEqual([]);
    expect(config.worker.concurrency).toBe(defaultConcurrency());
    expect(config.worker.concurrency).toBeLessThanOrEqual(4);
    expect(config.orchestrator.processor_id).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    expect(sources['api.port']).toEqual({ kind: 'default', name: 'built-in' });
    expect(sources['orchestrator.processor_id']).toEqual({ kind: 'default', name: 'computed' });
  });

  it('reads the repository config folder by default and it is valid in every environment', () => {
    for (const env of ['development', 'test', 'production']) {
      const { config, environment, files } = loadConfig({ env: { WEFT_ENV: env }, cwd: process.cwd() });
      expect(environment).toBe(env);
      expect(files.map((f) => f.split('/').pop())).toContain('default.toml');
      expect(config.api.port).toBe(8787);
    }
  });
});

describe('loadConfig: precedence default < environment overlay < local.toml < env var < flag', () => {
  const files = {
    'default.toml': '[api]\nport = 1001\nhost = "default-host"\n[log]\nlevel = "fatal"\n[worker]\nbatch_size = 1\n[orchestrator]\nbatch_size = 1\n',
    'development.toml': '[api]\nport = 1002\nhost = "dev-host"\n[log]\nlevel = "error"\n[worker]\nbatch_size = 2\n',
    'production.toml': '[api]\nport = 1999\n',
    'local.toml': '[api]\nport = 1003\n[log]\nlevel = "warn"\n',
  };

  it('lets each layer override the one below it, and records where each value came from', () => {
    const cwd = configDir(files);
    const { config, sources } = load(cwd, {
      env: { WEFT_API_PORT: '1004', WEFT_LOG_LEVEL: 'debug' },
      flags: { values: { 'log.level': 'trace' } },
    });
    expect(config.orchestrator.batch_size).toBe(1); // default.toml only
    expect(config.worker.batch_size).toBe(2); // overlay over default.toml
    expect(config.api.host).toBe('dev-host'); // overlay; local.toml does not set it
    expect(config.api.port).toBe(1004); // env var over local.toml
    expect(config.log.level).toBe('trace'); // flag over env var
    expect(describeSource(sources['orchestrator.batch_size']!, cwd)).toBe('default (config/default.toml)');
    expect(describeSource(sources['worker.batch_size']!, cwd)).toBe('config/development.toml');
    expect(describeSource(sources['api.port']!, cwd)).toBe('environment variable WEFT_API_PORT');
    expect(describeSource(sources['log.level']!, cwd)).toBe('flag --log-level');
  });

  it('uses local.toml over the overlay when nothing higher sets the key', () => {
    const cwd = configDir(files);
    const { config, sources } = load(cwd);
    expect(config.api.port).toBe(1003);
    expect(config.log.level).toBe('warn');
    expect(sources['api.port']).toEqual({ kind: 'file', name: join(cwd, 'config', 'local.toml') });
  });

  it('picks the overlay with WEFT_ENV, and --env over WEFT_ENV', () => {
    const cwd = configDir({ ...files, 'local.toml': '' });
    expect(load(cwd, { env: { WEFT_ENV: 'production' } }).config.api.port).toBe(1999);
    expect(load(cwd, { env: { WEFT_ENV: 'production' }, flags: { env: 'development' } }).config.api.port).toBe(1002);
  });

  it('reads another folder with WEFT_CONFIG_DIR or --config-dir', () => {
    const other = configDir({ 'default.toml': '[api]\nport = 2001\n' });
    const cwd = configDir({ 'default.toml': '[api]\nport = 2002\n' });
    expect(load(cwd).config.api.port).toBe(2002);
    expect(load(cwd, { env: { WEFT_CONFIG_DIR: join(other, 'config') } }).config.api.port).toBe(2001);
    expect(load(cwd, { flags: { configDir: join(other, 'config') } }).config.api.port).toBe(2001);
  });

  it('honours DATABASE_URL, and WEFT_DATABASE_URL over it', () => {
    const cwd = configDir({ 'local.toml': '[database]\nurl = "postgres://file@localhost/a"\n' });
    const plain = load(cwd, { env: { DATABASE_URL: 'postgres://plain@localhost/b' } });
    expect(plain.config.database.url).toBe('postgres://plain@localhost/b');
    expect(plain.sources['database.url']).toEqual({ kind: 'env', name: 'DATABASE_URL' });
    const both = load(cwd, { env: { DATABASE_URL: 'postgres://plain@localhost/b', WEFT_DATABASE_URL: 'postgres://weft@localhost/c' } });
    expect(both.config.database.url).toBe('postgres://weft@localhost/c');
    const flag = load(cwd, { env: { DATABASE_URL: 'postgres://plain@localhost/b' }, flags: { values: { 'database.url': 'postgres://flag@localhost/d' } } });
    expect(flag.config.database.url).toBe('postgres://flag@localhost/d');
  });
});

describe('loadConfig: environment variables', () => {
  it('maps WEFT_<SECTION>_<KEY> onto keys with underscores and coerces numbers, booleans and lists', () => {
    const cwd = configDir({});
    const { config } = load(cwd, {
      env: {
        WEFT_EMBEDDED_DATA_DIR: '/tmp/pg-data',
        WEFT_WORKER_VISIBILITY_TIMEOUT_S: '45',
        WEFT_LOG_PRETTY: 'true',
        WEFT_WORKER_NAMESPACES: 'fulfillment, inventory',
        WEFT_ORCHESTRATOR_PROCESSOR_ID: 'orch-1',
      },
    });
    expect(config.embedded.data_dir).toBe('/tmp/pg-data');
    expect(config.worker.visibility_timeout_s).toBe(45);
    expect(config.log.pretty).toBe(true);
    expect(config.worker.namespaces).toEqual(['fulfillment', 'inventory']);
    expect(config.orchestrator.processor_id).toBe('orch-1');
  });

  it('ignores empty variables and the reserved WEFT_ENV / WEFT_CONFIG_DIR', () => {
    const cwd = configDir({});
    const { config } = load(cwd, { env: { WEFT_API_PORT: '', WEFT_ENV: 'test', DATABASE_URL: '' } });
    expect(config.api.port).toBe(8787);
    expect(config.database.url).toBeUndefined();
  });
});

describe('loadConfig: errors name the key, the value and where it came from', () => {
  it('rejects an unknown key in a file', () => {
    const cwd = configDir({ 'local.toml': '[api]\nprot = 9000\n' });
    const message = configErrorOf(() => load(cwd));
    expect(message).toContain('api.prot');
    expect(message).toContain('config/local.toml');
    expect(message).toContain('host, port');
  });

  it('rejects an unknown section in a file', () => {
    const cwd = configDir({ 'development.toml': '[apu]\nport = 9000\n' });
    const message = configErrorOf(() => load(cwd));
    expect(message).toContain('apu.port');
    expect(message).toContain('config/development.toml');
  });

  it('rejects an unknown WEFT_ variable', () => {
    const cwd = configDir({});
    const message = configErrorOf(() => load(cwd, { env: { WEFT_API_PROT: '9000' } }));
    expect(message).toContain('WEFT_API_PROT');
    expect(message).toContain('"9000"');
  });

  it('rejects a bad value from a variable', () => {
    const cwd = configDir({});
    const message = configErrorOf(() => load(cwd, { env: { WEFT_API_PORT: 'eighty' } }));
    expect(message).toMatch(/api\.port = "eighty" from environment variable WEFT_API_PORT: expected number/);
  });

  it('rejects a bad value from a file, with the file', () => {
    const cwd = configDir({ 'default.toml': '[worker]\nbatch_size = 0\n' });
    const message = configErrorOf(() => load(cwd));
    expect(message).toContain('worker.batch_size = 0 from default (config/default.toml)');
  });

  it('rejects a string where the file needs a number (files are not coerced)', () => {
    const cwd = configDir({ 'local.toml': '[api]\nport = "8787"\n' });
    expect(configErrorOf(() => load(cwd))).toContain('api.port = "8787" from config/local.toml');
  });

  it('rejects a bad log level from a flag, listing the levels', () => {
    const cwd = configDir({});
    const message = configErrorOf(() => load(cwd, { flags: { values: { 'log.level': 'loud' } } }));
    expect(message).toContain('log.level = "loud" from flag --log-level');
    expect(message).toContain('"debug"');
  });

  it('rejects a malformed database URL without showing its password', () => {
    const cwd = configDir({});
    const message = configErrorOf(() => load(cwd, { env: { DATABASE_URL: 'mysql://me:secret@host/db' } }));
    expect(message).toContain('database.url');
    expect(message).toContain('environment variable DATABASE_URL');
    expect(message).not.toContain('secret');
  });

  it('rejects invalid TOML with the file and line', () => {
    const cwd = configDir({ 'local.toml': '[api\nport = 1\n' });
    const message = configErrorOf(() => load(cwd));
    expect(message).toContain('config/local.toml is not valid TOML');
    expect(message).toContain('line 1');
  });

  it('rejects an unknown environment name', () => {
    const cwd = configDir({});
    const message = configErrorOf(() => load(cwd, { env: { WEFT_ENV: 'staging' } }));
    expect(message).toContain('"staging" (from environment variable WEFT_ENV)');
  });

  it('rejects a missing config folder', () => {
    const cwd = configDir({});
    expect(configErrorOf(() => load(cwd, { flags: { configDir: 'nowhere' } }))).toContain('"nowhere" (from flag --config-dir) does not exist');
  });
});

describe('formatConfig', () => {
  it('prints every value with its source and hides the database password', () => {
    const cwd = configDir({});
    const loaded = load(cwd, { env: { DATABASE_URL: 'postgres://app:hunter2@db.internal:5432/weft', WEFT_API_PORT: '9000' } });
    const text = formatConfig(loaded, cwd);
    expect(text).toContain('url = "postgres://app:***@db.internal:5432/weft"  # environment variable DATABASE_URL');
    expect(text).toContain('port = 9000  # environment variable WEFT_API_PORT');
    expect(text).toContain('level = "info"  # default (built-in)');
    expect(text).not.toContain('hunter2');
  });
});
