import type { Logger } from './logger.ts';

/** What a masked secret is replaced with. */
export const REDACTED = '***';

/**
 * Secrets shorter than this are not masked: masking a 2-letter "secret" everywhere would wreck
 * every text while protecting nothing.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * The forms a secret takes in text: itself, URL-encoded (a token in a query string), and
 * JSON-escaped (a token inside a JSON document).
 */
function formsOf(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms];
}

/**
 * Every secret (token, API key, password) the process knows, so that any text it stores or prints
 * can be masked with {@link SecretRegistry.redact}. A secret is registered in the forms it takes in
 * text (as is, URL-encoded, JSON-escaped); Basic-auth credentials also as their base64 pair.
 * Registration is counted, so two users of the same secret can each remove theirs.
 *
 * @example
 * ```ts
 * const secrets = new SecretRegistry();
 * const forget = secrets.add(process.env.GIRDER_TOKEN);
 * process.stderr.write(secrets.redact(`Girder answered 400: bad header Girder-Token: ${token}`));
 * forget(); // when the run that used it has settled
 * ```
 */
export class SecretRegistry {
  readonly #counts = new Map<string, number>();
  #sorted: string[] | undefined;

  /**
   * Registers a secret. Empty, absent and too short (< {@link MIN_SECRET_LENGTH}) values are ignored.
   * @param secret - the secret, or undefined
   * @returns a function that removes this registration (idempotent)
   */
  add(secret: string | undefined): () => void {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) return () => {};
    const forms = formsOf(secret);
    for (const form of forms) this.#counts.set(form, (this.#counts.get(form) ?? 0) + 1);
    this.#sorted = undefined;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      for (const form of forms) {
        const count = (this.#counts.get(form) ?? 1) - 1;
        if (count > 0) this.#counts.set(form, count);
        else this.#counts.delete(form);
      }
      this.#sorted = undefined;
    };
  }

  /**
   * Registers Basic-auth credentials: the password, and the base64 `user:password` pair that an
   * `Authorization: Basic …` header carries.
   * @param username - the user name
   * @param password - the password
   * @returns a function that removes both registrations
   */
  addBasicAuth(username: string, password: string | undefined): () => void {
    if (typeof password !== 'string' || password === '') return () => {};
    const forgetPassword = this.add(password);
    const forgetPair = this.add(Buffer.from(`${username}:${password}`).toString('base64'));
    return () => {
      forgetPassword();
      forgetPair();
    };
  }

  /**
   * Registers the credentials of a URL (`scheme://user:password@host`), e.g. a Redis URL.
   * @param url - the URL (not validated; nothing is registered when it does not parse)
   * @returns a function that removes the registrations
   */
  addUrlCredentials(url: string | undefined): () => void {
    if (typeof url !== 'string') return () => {};
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return () => {};
    }
    const password = decodeURIComponent(parsed.password);
    return password === '' ? () => {} : this.addBasicAuth(decodeURIComponent(parsed.username), password);
  }

  /** How many distinct forms of secrets are registered. */
  get size(): number {
    return this.#counts.size;
  }

  /**
   * Masks every registered secret in a text.
   * @param text - any text: a message, a log line, a stack, a JSON document
   * @returns the text with each secret replaced by {@link REDACTED}
   */
  redact(text: string): string {
    if (this.#counts.size === 0 || text === '') return text;
    // Longest first, so that a secret containing another is masked whole.
    this.#sorted ??= [...this.#counts.keys()].sort((a, b) => b.length - a.length);
    let out = text;
    for (const secret of this.#sorted) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}

/**
 * Masks the given secrets in a text: the one-call form of {@link SecretRegistry.redact}.
 * @param text - any text
 * @param secrets - a registry, or the secrets themselves
 * @returns the text with each secret replaced by {@link REDACTED}
 * @example
 * ```ts
 * redactSecrets('token=abcd1234', ['abcd1234']); // 'token=***'
 * ```
 */
export function redactSecrets(text: string, secrets: SecretRegistry | Iterable<string | undefined>): string {
  if (secrets instanceof SecretRegistry) return secrets.redact(text);
  const registry = new SecretRegistry();
  for (const secret of secrets) registry.add(secret);
  return registry.redact(text);
}

/**
 * Masks the secrets of a value destined for storage or output (a job's result, progress, a log
 * context): strings anywhere inside arrays and plain objects are redacted; other values are kept.
 * @param value - the value
 * @param secrets - the registry
 * @returns a redacted copy (the value itself when nothing is registered)
 */
export function redactValue<T>(value: T, secrets: SecretRegistry): T {
  if (secrets.size === 0) return value;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return secrets.redact(v);
    if (depth > 32 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, depth + 1)]));
  };
  return walk(value, 0) as T;
}

/**
 * A logger that masks every registered secret in messages and context before they reach `logger`.
 * @param logger - where the lines go
 * @param secrets - the registry
 * @returns the masking logger
 */
export function redactingLogger(logger: Logger, secrets: SecretRegistry): Logger {
  const wrap =
    (method: keyof Logger) =>
    (message: string, context?: Record<string, unknown>): void => {
      const safeContext = context === undefined ? undefined : redactValue(context, secrets);
      logger[method](secrets.redact(message), safeContext);
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
