/**
 * Serving the app over HTTP with @hono/node-server, and stopping it gracefully.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Sql } from '../db/connection.js';
import { ConfigError, coerceError } from '../db/errors.js';
import type { Logger } from '../observability/logger.js';
import { createApp, type ApiApp, type ApiOptions } from './app.js';

/** The port is taken by another process (exit code 2, like any configuration error). */
export class PortInUseError extends ConfigError {
  override name = 'PortInUseError';
}

export interface ApiServerOptions extends ApiOptions {
  sql: Sql;
  logger: Logger;
  /** Address to listen on, e.g. `127.0.0.1` or `0.0.0.0`. */
  host: string;
  /** Port; 0 picks a free one (see `port` of the result). */
  port: number;
  /** How long stop() lets requests in flight finish before closing their connections (ms); default 5000. */
  shutdownGraceMs?: number;
}

export interface ApiServer {
  /** Base URL clients can use, e.g. `http://127.0.0.1:8787` (a wildcard host is shown as loopback). */
  url: string;
  host: string;
  port: number;
  app: ApiApp;
  /** Stops accepting connections, lets requests in flight finish (within the grace), closes. Idempotent. */
  stop(): Promise<void>;
}

/** `http://host:port`, with loopback for wildcard addresses and brackets for IPv6. */
export function baseUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/**
 * Starts the API server; resolves once it listens.
 *
 * @example
 *   const server = await startApiServer({ sql, logger, host: '127.0.0.1', port: 8787 });
 *   // … fetch(`${server.url}/health/ready`) …
 *   await server.stop();
 * @throws ConfigError when the port is in use or the address cannot be bound.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const app = createApp(options);
  const log = options.logger.child({ component: 'api' });
  // overrideGlobalObjects: false: a library must not replace the process's global Request/Response.
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new PortInUseError(
            `Port ${options.port} on ${options.host} is already in use, so the API cannot start; free it or set api.port (WEFT_API_PORT, --port) to another port.`,
            { cause: err },
          ),
        );
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES' || err.code === 'ENOTFOUND') {
        reject(new ConfigError(`The API cannot listen on ${options.host}:${options.port} (${err.code}); check api.host and api.port.`, { cause: err }));
      } else {
        reject(coerceError(err));
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.host);
  });

  const address = server.address() as AddressInfo;
  const url = baseUrl(options.host, address.port);
  server.on('error', (err) => log.error({ err }, 'api server error'));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 5000);
      server.close(() => {
        clearTimeout(grace);
        log.info({ url }, 'api stopped');
        resolve();
      });
      // Keep-alive connections with no request in flight would hold close() open.
      server.closeIdleConnections();
    }));

  log.info({ url }, `api listening on ${url}`);
  return { url, host: options.host, port: address.port, app, stop };
}
