import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SpecValidationError } from '@girder-worker/transforms';

/** Credentials for one registry, as the Engine API takes them (`X-Registry-Auth`). */
export type RegistryAuth =
  | { username: string; password: string; serveraddress?: string }
  | { identitytoken: string; serveraddress?: string };

/**
 * Where pulls get registry credentials: fixed credentials, or a function asked with the registry
 * host of each image (`127.0.0.1:5000`, `ghcr.io`, `docker.io`) that may answer nothing.
 */
export type RegistryCredentials = RegistryAuth | ((registry: string) => Promise<RegistryAuth | undefined>);

/** Docker Hub's names for itself in config files. */
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/**
 * The registry host of an image reference, as Docker reads it: the first path component when it
 * has a `.` or `:` or is `localhost`, else Docker Hub (`docker.io`).
 *
 * @param image - e.g. `127.0.0.1:5000/lab/tool:1`, `ghcr.io/x/y`, `alpine:3`
 * @returns e.g. `127.0.0.1:5000`, `ghcr.io`, `docker.io`
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/**
 * Validates explicit credentials (e.g. read from a `--registry-auth` file).
 * @throws `SpecValidationError` naming the field; the password itself is never shown
 */
export function parseRegistryAuth(value: unknown, path = 'registryAuth'): RegistryAuth {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SpecValidationError(
      path,
      'an object { username, password, serveraddress? } or { identitytoken }',
      '(not an object)',
    );
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!['username', 'password', 'serveraddress', 'identitytoken'].includes(key))
      throw new SpecValidationError(
        `${path}.${key}`,
        'one of username, password, serveraddress, identitytoken',
        key,
      );
  }
  const server = v.serveraddress;
  if (server !== undefined && (typeof server !== 'string' || server === ''))
    throw new SpecValidationError(
      `${path}.serveraddress`,
      'a registry host such as "ghcr.io"',
      '(not a string)',
    );
  const withServer = server === undefined ? {} : { serveraddress: server as string };
  if (typeof v.identitytoken === 'string' && v.identitytoken !== '')
    return { identitytoken: v.identitytoken, ...withServer };
  if (typeof v.username !== 'string' || v.username === '')
    throw new SpecValidationError(`${path}.username`, 'a non-empty user name', '(missing)');
  if (typeof v.password !== 'string' || v.password === '')
    throw new SpecValidationError(`${path}.password`, 'a non-empty password', '(missing or not a string)');
  return { username: v.username, password: v.password, ...withServer };
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Runs `docker-credential-<helper> get` with the registry on stdin, as the docker CLI does. */
function askHelper(helper: string, registry: string): Promise<RegistryAuth | undefined> {
  if (!/^[\w.-]+$/.test(helper)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 10_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!answer.Secret) return resolve(undefined);
        resolve(
          answer.Username === '<token>'
            ? { identitytoken: answer.Secret, serveraddress: registry }
            : { username: answer.Username ?? '', password: answer.Secret, serveraddress: registry },
        );
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(registry);
  });
}

function fromAuthsEntry(
  entry: NonNullable<DockerConfigFile['auths']>[string],
  registry: string,
): RegistryAuth | undefined {
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0)
      return {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        serveraddress: registry,
      };
  }
  if (entry.username && entry.password)
    return { username: entry.username, password: entry.password, serveraddress: registry };
  return undefined;
}

/** The keys a registry may stand under in `auths` (with or without scheme and `/v1/`). */
function keysFor(registry: string): string[] {
  if (registry === 'docker.io') return HUB_KEYS;
  return [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `http://${registry}/v1/`,
  ];
}

/**
 * Credentials from a Docker CLI config file, the way `docker pull` finds them: a credential helper
 * for that registry (`credHelpers`), else `auths` (base64 `auth`, or `identitytoken`), else the
 * default store (`credsStore`). The file is read at each pull, so a `docker login` on the worker
 * host takes effect without a restart. A missing or unreadable file means no credentials.
 *
 * @param path - the config file @default `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`
 *   (the caller passes `process.env.DOCKER_CONFIG`-based paths explicitly; nothing is read from the
 *   environment here but `HOME` through `os.homedir()`)
 * @returns a resolver for {@link RegistryCredentials}
 */
export function dockerConfigCredentials(
  path: string = join(homedir(), '.docker', 'config.json'),
): (registry: string) => Promise<RegistryAuth | undefined> {
  return async (registry) => {
    let config: DockerConfigFile;
    try {
      config = JSON.parse(await readFile(path, 'utf8')) as DockerConfigFile;
    } catch {
      return undefined;
    }
    const keys = keysFor(registry);
    const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean);
    if (helper) return askHelper(helper, registry);
    for (const key of keys) {
      const entry = config.auths?.[key];
      const found = entry ? fromAuthsEntry(entry, registry) : undefined;
      if (found) return found;
    }
    return config.credsStore ? askHelper(config.credsStore, registry) : undefined;
  };
}

/** The credentials to use for `image`, if any. */
export async function credentialsFor(
  credentials: RegistryCredentials | undefined,
  image: string,
): Promise<RegistryAuth | undefined> {
  if (!credentials) return undefined;
  const registry = registryOf(image);
  if (typeof credentials === 'function') return credentials(registry);
  // Fixed credentials naming a registry go to that registry only, never to another one.
  const named = credentials.serveraddress?.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (named && named !== registry && !(registry === 'docker.io' && HUB_KEYS.some((k) => k.includes(named))))
    return undefined;
  return { ...credentials, serveraddress: registry };
}
