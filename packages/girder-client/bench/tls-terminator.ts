// A TLS terminator from the system (stunnel4) in front of a plain-HTTP server, with a self-signed
// certificate for 127.0.0.1 made now with openssl: what sits in front of most Girder sites.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@girder-worker/test-helpers';

/** A running terminator. */
export interface TlsTerminator {
  /** The port it accepts TLS on (127.0.0.1). */
  port: number;
  /** Its certificate (PEM), to trust. */
  cert: string;
  /** Path of the certificate file (for curl --cacert). */
  certPath: string;
  /** Stops it. */
  close(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts stunnel4 on a free loopback port, relaying to `targetPort`.
 * @param dir - a directory for the certificate, key and configuration
 * @param targetPort - the plain server's port on 127.0.0.1
 * @returns the terminator, or undefined when stunnel4 is not installed
 */
export async function startStunnel(dir: string, targetPort: number): Promise<TlsTerminator | undefined> {
  try {
    execFileSync('stunnel4', ['-version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const config = join(dir, 'stunnel.conf');
  writeFileSync(
    config,
    [
      'foreground = yes',
      'pid =',
      '[girder]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${targetPort}`,
      `cert = ${certPath}`,
      `key = ${keyPath}`,
      '',
    ].join('\n'),
  );
  const child = spawn('stunnel4', [config], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await listening(port)); i++) await sleep(50);
  return {
    port,
    cert: readFileSync(certPath, 'utf8'),
    certPath,
    close: async () => {
      if (child.exitCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    },
  };
}
