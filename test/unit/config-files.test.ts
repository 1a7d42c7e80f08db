import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { configKeys } from '../../src/config/index.js';
import { configDir, packageRoot } from '../../src/db/paths.js';

const defaultToml = readFileSync(join(configDir, 'default.toml'), 'utf8');

describe('config/default.toml', () => {
  it('holds exactly the schema defaults for every key that has a fixed default', () => {
    const table = parse(defaultToml) as Record<string, Record<string, unknown>>;
    for (const info of configKeys()) {
      const value = table[info.section]?.[info.key];
      // keys without a fixed default (unset, or computed at start) appear commented out
      const computed = info.path === 'worker.concurrency';
      if (info.defaultValue === undefined || computed) expect(value, info.path).toBeUndefined();
      else expect(value, info.path).toEqual(info.defaultValue);
    }
  });

  it('names every key in its section, commented out when it has no fixed default', () => {
    const lines = defaultToml.split('\n');
    for (const info of configKeys()) {
      const found = lines.some((l, i) => new RegExp(`^(# )?${info.key} = `).test(l) && sectionOf(lines, i) === info.section);
      expect(found, `${info.path} in default.toml`).toBe(true);
    }
  });
});

function sectionOf(lines: string[], index: number): string | undefined {
  for (let i = index; i >= 0; i--) {
    const match = /^\[(\w+)\]/.exec(lines[i]!);
    if (match) return match[1];
  }
  return undefined;
}

describe('docs/configuration.md', () => {
  it('documents every key with its environment variable', () => {
    const doc = readFileSync(join(packageRoot, 'docs', 'configuration.md'), 'utf8');
    for (const info of configKeys()) {
      expect(doc, info.path).toContain(`\`${info.path}\``);
      expect(doc, info.envVar).toContain(`\`${info.envVar}\``);
    }
  });
});
