/**
 * The effective configuration as text (`weft config`): TOML with each value's source as a
 * trailing comment, the database password hidden.
 */
import { stringify } from 'smol-toml';
import { redact } from '../db/connection.js';
import { configKeys } from './keys.js';
import { describeSource, type LoadedConfig } from './load.js';

/** The configuration as a plain object with the database password hidden. */
export function redactedConfig(config: LoadedConfig['config']): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, values] of Object.entries(config)) out[section] = { ...(values as Record<string, unknown>) };
  const url = out.database?.url;
  if (typeof url === 'string') out.database!.url = redact(url);
  return out;
}

function tomlValue(value: unknown): string {
  // smol-toml stringifies tables; wrap the value to get its inline form.
  return stringify({ v: value }).replace(/^v = /, '').trimEnd();
}

/**
 * Renders the configuration as TOML with sources.
 *
 * @example
 *   [api]
 *   port = 9000  # environment variable WEFT_API_PORT
 */
export function formatConfig(loaded: LoadedConfig, cwd = process.cwd()): string {
  const config = redactedConfig(loaded.config);
  const lines: string[] = [`# environment: ${loaded.environment}`, `# files: ${loaded.files.join(', ') || '(none)'}`];
  let section = '';
  for (const info of configKeys()) {
    if (info.section !== section) {
      section = info.section;
      lines.push('', `[${section}]`);
    }
    const value = config[info.section]?.[info.key];
    const source = describeSource(loaded.sources[info.path] ?? { kind: 'default', name: 'built-in' }, cwd);
    if (value === undefined) {
      const note = info.path === 'database.url' ? 'not set: the embedded PostgreSQL is used' : 'not set';
      lines.push(`# ${info.key} = (${note})`);
    } else {
      lines.push(`${info.key} = ${tomlValue(value)}  # ${source}`);
    }
  }
  return lines.join('\n') + '\n';
}
