import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, getCACertificates, setDefaultCACertificates, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { makeTempDir } from '@girder-worker/test-helpers';
import { onTestFinished } from 'vitest';

/** A certificate and its key, PEM. */
export interface Certificate {
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for 127.0.0.1, made now with `openssl` (valid one day).
 * @returns the certificate and key
 */
export async function makeCertificate(): Promise<Certificate> {
  const dir = await makeTempDir();
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
}

/**
 * Adds a certificate to the default certificate authorities of this process (what `tls.connect`
 * and fetch trust), until the test ends.
 * @param cert - PEM certificate
 */
export function trustCertificate(cert: string): void {
  const before = getCACertificates('default');
  setDefaultCACertificates([...before, cert]);
  onTestFinished(() => setDefaultCACertificates(before));
}

/**
 * A TLS terminator on 127.0.0.1 in front of a plain-TCP server, as stunnel or nginx would be:
 * each TLS connection is relayed to `port`; when one side closes or is cut, the other is too.
 * Closed, with every connection, when the test ends.
 * @param port - the plain server's port
 * @param certificate - the terminator's certificate
 * @returns the terminator's port
 */
export async function startTlsTerminator(port: number, certificate: Certificate): Promise<number> {
  const sockets = new Set<Socket | TLSSocket>();
  const track = (socket: Socket | TLSSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer(certificate, (clear) => {
    const upstream = connect({ host: '127.0.0.1', port });
    track(clear);
    track(upstream);
    clear.pipe(upstream);
    upstream.pipe(clear);
    // The end of the answer ends the TLS side once flushed (pipe); a failure on either side cuts
    // the other, as through a proxy.
    upstream.on('error', () => clear.destroy());
    clear.on('error', () => upstream.destroy());
    clear.on('close', () => upstream.destroy());
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}
