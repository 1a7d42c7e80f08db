/**
 * docker-compose.yml and the Dockerfile agree with the code: every service runs a real `weft`
 * command, with valid configuration, a named image, a database URL, dependencies that exist,
 * and the API port the configuration says. (No Docker engine is needed.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createProgram } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config/index.js';
import { parseDatabaseUrl } from '../../src/db/connection.js';
import { packageRoot } from '../../src/db/paths.js';

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | number>;
  healthcheck?: { test?: string[] | string };
}

const compose = parse(readFileSync(join(packageRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const dockerfile = readFileSync(join(packageRoot, 'Dockerfile'), 'utf8');
const cliCommands = createProgram().commands.map((c) => c.name());

/** The services that run the weft image (everything built from the Dockerfile). */
const weftServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function commandOf(service: Service): string[] {
  const command = service.command ?? [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.condition]));
}

describe('docker-compose.yml', () => {
  it('runs PostgreSQL from a named, tagged image with the pgmq extension and a healthcheck', () => {
    const postgres = services.postgres!;
    expect(postgres.image).toMatch(/^[\w./-]+\/[\w.-]*pgmq[\w.-]*:v?\d+\.\d+\.\d+$/);
    expect(JSON.stringify(postgres.healthcheck?.test)).toContain('pg_isready');
  });

  it('has the weft roles, each running a real CLI command', () => {
    expect(weftServices.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'orchestrator', 'worker']);
    for (const [name, service] of weftServices) {
      const [command] = commandOf(service);
      expect(cliCommands, `service ${name} runs \`weft ${command}\``).toContain(command);
    }
  });

  it('names an image with a tag for every service', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });

  it('gives every weft service a DATABASE_URL on the postgres service and a valid configuration', () => {
    for (const [name, service] of weftServices) {
      const env = environmentOf(service);
      expect(env.DATABASE_URL, name).toBeDefined();
      expect(parseDatabaseUrl(env.DATABASE_URL!).host, name).toBe('postgres');
      // the same loader the container runs: unknown WEFT_ variables or bad values would throw
      expect(() => loadConfig({ env, cwd: packageRoot }), name).not.toThrow();
    }
  });

  it('publishes the API port the configuration gives the api service, on an address reachable from outside', () => {
    const api = services.api!;
    const { config } = loadConfig({ env: environmentOf(api), cwd: packageRoot });
    const published = (api.ports ?? []).map((p) => String(p).split(':').pop());
    expect(published).toContain(String(config.api.port));
    expect(config.api.host).toBe('0.0.0.0');
  });

  it('declares dependencies on services that exist, with conditions compose knows', () => {
    const conditions = new Set(['service_started', 'service_healthy', 'service_completed_successfully', undefined]);
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOn(service))) {
        expect(Object.keys(services), `${name} depends on ${target}`).toContain(target);
        expect(conditions.has(condition), `${name} → ${target}: ${condition}`).toBe(true);
        if (condition === 'service_healthy') expect(services[target]!.healthcheck, target).toBeDefined();
      }
    }
    expect(dependsOn(services.migrate!).postgres).toBe('service_healthy');
    for (const role of ['orchestrator', 'worker', 'api']) {
      expect(dependsOn(services[role]!).migrate, role).toBe('service_completed_successfully');
    }
  });

  it('declares every named volume it mounts', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service as { volumes?: string[] }).volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(Object.keys(compose.volumes ?? {}), name).toContain(source);
      }
    }
  });
});

describe('Dockerfile', () => {
  it('is the one the weft services build', () => {
    for (const [name, service] of weftServices) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build!;
      const file = join(packageRoot, build.context ?? '.', build.dockerfile ?? 'Dockerfile');
      expect(existsSync(file), name).toBe(true);
    }
  });

  it('builds on node:20-slim with npm ci and npm run build', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    expect(dockerfile).toMatch(/^RUN npm ci/m);
    expect(dockerfile).toMatch(/npm run build/);
  });

  it('enters through bin/weft.js, which exists and loads the CLI the build produces', () => {
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
    expect(entrypoint).not.toBeNull();
    const argv = JSON.parse(entrypoint![1]!) as string[];
    expect(argv).toEqual(['node', 'bin/weft.js']);
    expect(existsSync(join(packageRoot, argv[1]!))).toBe(true);
    expect(readFileSync(join(packageRoot, 'bin', 'weft.js'), 'utf8')).toContain("'dist', 'cli', 'main.js'");
    expect(existsSync(join(packageRoot, 'src', 'cli', 'main.ts'))).toBe(true);
  });

  it('copies what the CLI reads at run time', () => {
    for (const folder of ['bin', 'sql', 'migrations', 'config', 'dist', 'node_modules']) {
      expect(dockerfile, folder).toMatch(new RegExp(`^COPY .*\\b${folder}\\b`, 'm'));
    }
  });
});
