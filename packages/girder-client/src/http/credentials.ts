/**
 * What the client knows that must never be shown: the current token, the API key, and every
 * secret it ever sent (older tokens, a password and its Basic form). The token goes out as the
 * `Girder-Token` header of every request, through ky or the download transport alike.
 */
export class Credentials {
  #token: string | undefined;
  readonly #apiKey: string | undefined;
  readonly #secrets = new Set<string>();

  /**
   * @param token - the token to send, if any
   * @param apiKey - the API key `authenticate()` exchanges, if any
   */
  constructor(token: string | undefined, apiKey: string | undefined) {
    this.#apiKey = apiKey;
    this.remember(apiKey);
    this.token = token;
  }

  /** The token sent as `Girder-Token`, if any. */
  get token(): string | undefined {
    return this.#token;
  }
  set token(token: string | undefined) {
    this.#token = token;
    this.remember(token);
  }

  /** The API key given to the client, if any. */
  get apiKey(): string | undefined {
    return this.#apiKey;
  }

  /**
   * Adds a secret to mask in any text the client keeps (a password, a Basic credential).
   * @param secret - the secret; empty values are ignored
   */
  remember(secret: string | undefined): void {
    if (secret) this.#secrets.add(secret);
  }

  /** Every secret known so far. */
  secrets(): Iterable<string> {
    return this.#secrets;
  }

  /** The `Girder-Token` header when a token is held. */
  headers(): Record<string, string> {
    return this.#token ? { 'Girder-Token': this.#token } : {};
  }
}
