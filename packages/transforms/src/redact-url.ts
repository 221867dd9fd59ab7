import { REDACTED } from './secrets.ts';

/**
 * Query parameters (and `name=value` pairs of an unparsable URL) whose values are secrets:
 * Girder's `token`/`key`/`girderToken`, `password`, `access_token`, `api_key`/`apiKey`,
 * `client_secret`, pre-signed URLs' `X-Amz-Signature`/`X-Amz-Credential`/`X-Amz-Security-Token`,
 * `sig`… Matching by part of the name masks a few harmless ones too; that is the safe side.
 */
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
      return equals !== -1 && SECRET_NAME.test(decodeName(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `?${pairs.join('&')}`;
}

/**
 * A URL safe to show in a log line, an error or a job record: the one redaction policy of the
 * workspace (`@girder-worker/girder-client` keeps a copy, since it depends on nothing of ours;
 * both are tested against one table of cases).
 *
 * - a password becomes `***` (the user name stays, to tell which account); a user name without
 *   a password may itself be a token, and becomes `***`;
 * - the value of every secret query parameter (`token`, `key`, `password`, `X-Amz-Signature`, …)
 *   becomes `***`; other parameters stay as written;
 * - the fragment is dropped (OAuth puts tokens there);
 * - a URL that does not parse keeps its text with the same masks applied by pattern.
 * @param url - any URL, or text that was meant to be one
 * @returns the URL as text, without secrets
 * @example
 * ```ts
 * redactUrl('redis://worker:s3cret@127.0.0.1:6379/0'); // 'redis://worker:***@127.0.0.1:6379/0'
 * redactUrl('http://127.0.0.1/api/v1/item?token=abc&limit=5'); // '…/item?token=***&limit=5'
 * ```
 */
export function redactUrl(url: string | URL): string {
  const text = String(url);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return text
      .replace(/\/\/[^/?#@\s]*@/, `//${REDACTED}@`)
      .replace(/([?&;]([^=&#\s]*)=)([^&#\s]*)/g, (pair, head: string, name: string) =>
        SECRET_NAME.test(decodeName(name)) ? `${head}${REDACTED}` : pair,
      );
  }
  if (parsed.password !== '') parsed.password = REDACTED;
  else if (parsed.username !== '') parsed.username = REDACTED;
  parsed.search = redactQuery(parsed.search);
  parsed.hash = '';
  return parsed.toString();
}
