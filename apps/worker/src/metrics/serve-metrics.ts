import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { BadInputError } from '../errors.ts';

/** A running metrics endpoint. */
export interface MetricsServer extends AsyncDisposable {
  /** The scrape address, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves a Prometheus registry at `/metrics` (text exposition format); any other path is 404.
 *
 * @param registry - what to expose
 * @param options - `port` (0: any free port) and `host` (default loopback)
 * @returns the server; `close()` it
 * @throws {@link BadInputError} for a bad port
 */
export async function serveMetrics(
  registry: Registry,
  options: { port: number; host?: string },
): Promise<MetricsServer> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new BadInputError('metricsPort', `expected an integer from 0 to 65535, got ${String(port)}`);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  return { url: `http://${shown}:${address.port}/metrics`, close, [Symbol.asyncDispose]: close };
}
