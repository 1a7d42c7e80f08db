/**
 * The `api` service of `weft dev`: serves the API on `api.host`:`api.port` with the dev pool;
 * `weft dev --check` asks its /health/ready.
 *
 * Like a front-end dev server (Vite without strictPort), `weft dev` does not give up when the
 * configured port is taken (another `weft dev`, a test run): it warns and listens on a free
 * port, which its log and `--check` summary show. `weft api` never does that: there a busy port
 * is an error.
 */
import type { DevService } from '../cli/dev-services.js';
import { PortInUseError, startApiServer, type ApiServer } from './server.js';

/**
 * Makes the service. It remembers the server it started, so that check() asks that one
 * (whatever port it got).
 */
export function createApiDevService(): DevService {
  let server: ApiServer | undefined;
  return {
    name: 'api',
    async start(ctx) {
      const { host, port } = ctx.config.api;
      const options = { sql: ctx.sql, logger: ctx.logger, host, port };
      let started: ApiServer;
      try {
        started = await startApiServer(options);
      } catch (err) {
        if (!(err instanceof PortInUseError)) throw err;
        started = await startApiServer({ ...options, port: 0 });
        ctx.logger
          .child({ component: 'api' })
          .warn({ url: started.url }, `port ${port} on ${host} is in use; the API listens on ${started.url} instead (set api.port to choose)`);
      }
      server = started;
      return {
        async stop() {
          await started.stop();
          if (server === started) server = undefined;
        },
      };
    },
    async check() {
      if (!server) throw new Error('the API is not running');
      const res = await fetch(`${server.url}/health/ready`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json().catch(() => ({}))) as { detail?: string };
      if (res.status !== 200) throw new Error(`${server.url}/health/ready answered ${res.status}: ${body.detail ?? 'no detail'}`);
      return `${server.url} (ready; docs at ${server.url}/docs)`;
    },
  };
}

/** The instance `weft dev` registers. */
export const apiDevService: DevService = createApiDevService();
