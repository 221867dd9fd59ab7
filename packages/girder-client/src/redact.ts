/** Shown in place of a secret. */
const MASK = '***';
/** Secrets shorter than this are not masked (they would mask ordinary text). */
const MIN_SECRET_LENGTH = 4;

// The URL policy below is a copy of `redactUrl` in @girder-worker/transforms: this package
// depends on nothing of ours (it installs alone). Both copies are tested against one table of
// cases (tooling/test-helpers, REDACT_URL_CASES); change them together.

/** Query parameter names whose values are secrets (matched by part of the name: the safe side). */
const SECRET_NAME = /token|key|secret|passw|signature|credential|auth|^sig$/i;

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/** The query with the value of every secret parameter masked; other pairs kept as written. */
function redactQuery(search: string): string {
  if (search === '') return '';
  const pairs = search
    .slice(1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return equals !== -1 && SECRET_NAME.test(decodeName(name)) ? `${name}=${MASK}` : pair;
    });
  return `?${pairs.join('&')}`;
}

/**
 * A URL safe to show: a password becomes `***` (a user name alone, which may be a token, too),
 * the value of every secret query parameter (`token`, `key`, `password`, `X-Amz-Signature`, …)
 * becomes `***`, and the fragment is dropped. The policy of `redactUrl` in
 * `@girder-worker/transforms`, copied so that this package depends on nothing of ours.
 * @param url - any URL (an unparsable one keeps its text, with the same masks applied by pattern)
 * @returns the URL as text, without secrets
 */
export function redactUrl(url: string | URL): string {
  const text = String(url);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return text
      .replace(/\/\/[^/?#@\s]*@/, `//${MASK}@`)
      .replace(/([?&;]([^=&#\s]*)=)([^&#\s]*)/g, (pair, head: string, name: string) =>
        SECRET_NAME.test(decodeName(name)) ? `${head}${MASK}` : pair,
      );
  }
  if (parsed.password !== '') parsed.password = MASK;
  else if (parsed.username !== '') parsed.username = MASK;
  parsed.search = redactQuery(parsed.search);
  parsed.hash = '';
  return parsed.toString();
}

/**
 * Keeps secrets out of what the client stores or logs: URLs lose their secret parameters
 * ({@link redactUrl}) and every secret the client knows is masked wherever it appears, in the
 * spellings a server might echo it (as sent, URL-encoded, form-encoded, JSON-escaped).
 */
export interface Redactor {
  /** Any text (a message, an echoed body) with URLs redacted and known secrets masked. */
  text(text: string): string;
  /** A URL with secret parameters and known secrets masked. */
  url(url: string | URL): string;
  /**
   * A copy of an error safe to keep as a `cause`: name, `code`, message and stack redacted, and
   * the same for its own causes (three levels deep). The original is dropped, since ky's errors
   * hold the request, whose headers carry the `Girder-Token`.
   */
  error(error: unknown): Error;
}

function spellings(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * The redaction helper of the client.
 * @param secrets - the secrets to mask, read at each call (they change after a login)
 * @returns a {@link Redactor}
 */
export function createRedactor(secrets: () => Iterable<string> = () => []): Redactor {
  const mask = (text: string): string => {
    let masked = text;
    // Longest first, so that a secret containing another is masked whole.
    const forms = [...secrets()].flatMap(spellings).sort((a, b) => b.length - a.length);
    for (const form of forms) masked = masked.replaceAll(form, MASK);
    return masked;
  };
  const text = (value: string): string =>
    mask(value).replace(/https?:\/\/[^\s'"<>]+/g, (url) => redactUrl(url));
  const error = (value: unknown, depth = 0): Error => {
    if (!(value instanceof Error)) return new Error(text(String(value)));
    const inner = (value as { cause?: unknown }).cause;
    const copy = new Error(
      text(value.message),
      inner !== undefined && depth < 3 ? { cause: error(inner, depth + 1) } : undefined,
    );
    copy.name = value.name;
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
    copy.stack = text(value.stack ?? '');
    return copy;
  };
  return { text, url: (url) => mask(redactUrl(url)), error: (value) => error(value) };
}

/** The redactor that knows no secrets: URL parameters only (used by the error classes). */
export const urlRedactor: Redactor = createRedactor();
