import type { Logger } from '../logger.ts';
import type { AuthToken } from '../models.ts';
import type { Credentials } from './credentials.ts';
import type { Requester, SignalOptions } from './requester.ts';

/** What {@link Authentication.authenticate} logs in with. */
export type LoginCredentials = { username: string; password: string } | { apiKey: string };

/** Logging in, and the token the client sends. */
export interface Authentication {
  /** Whether the client holds a token (given, or from {@link Authentication.authenticate}). */
  readonly authenticated: boolean;
  /**
   * Replaces the token (e.g. with a job-scoped one), or forgets it with `undefined`.
   * @param token - the new token
   */
  setToken(token: string | undefined): void;
  /**
   * Logs in: with a username and password (HTTP Basic on `user/authentication`), or with an API
   * key (`api_key/token`; the key given to the client when none is passed). Keeps the token.
   * @param credentials - `{ username, password }` or `{ apiKey }`; the client's `apiKey` when omitted
   * @param options - `signal`
   * @returns the token Girder issued (`token`, `expires`, `scope`)
   * @throws TypeError when there are no credentials at all
   * @throws {@link GirderHttpError} 401 on a wrong password, 400 on an unknown API key
   * @example
   * ```ts
   * await client.authenticate({ username: 'admin', password: 'adminpassword' });
   * ```
   */
  authenticate(credentials?: LoginCredentials, options?: SignalOptions): Promise<AuthToken>;
}

/**
 * Authentication over the client's requester and credentials. Every secret used to log in is
 * remembered by the credentials, so that errors never show it.
 * @param http - the requester
 * @param credentials - the client's credentials
 * @param logger - where logins are logged (never with a secret)
 * @param apiUrl - named in the log line
 * @returns the authentication part of the client
 */
export function createAuthentication(
  http: Requester,
  credentials: Credentials,
  logger: Logger,
  apiUrl: string,
): Authentication {
  const login = async (given: LoginCredentials | undefined, options: SignalOptions): Promise<AuthToken> => {
    if (given && 'username' in given) {
      const basic = Buffer.from(`${given.username}:${given.password}`).toString('base64');
      credentials.remember(given.password);
      credentials.remember(basic);
      const answer = await http.get<{ authToken: AuthToken }>('user/authentication', {
        headers: { Authorization: `Basic ${basic}` },
        ...options,
      });
      return answer.authToken;
    }
    const key = (given as { apiKey?: string } | undefined)?.apiKey ?? credentials.apiKey;
    if (!key)
      throw new TypeError(
        'authenticate: give { username, password } or { apiKey } (or apiKey to the client)',
      );
    credentials.remember(key);
    const answer = await http.request<{ authToken: AuthToken }>('POST', 'api_key/token', {
      searchParams: { key },
      ...options,
    });
    return answer.authToken;
  };
  return {
    get authenticated() {
      return credentials.token !== undefined;
    },
    setToken(token) {
      credentials.token = token;
    },
    async authenticate(given, options = {}) {
      const token = await login(given, options);
      credentials.token = token.token;
      logger.info('authenticated with Girder', { apiUrl });
      return token;
    },
  };
}
