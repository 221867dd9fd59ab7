const SECRET_PARAMS = new Set(['token', 'key', 'girderToken', 'password']);

/**
 * A URL safe to show: secret query parameters (`token`, `key`, …) are replaced by `***` and
 * credentials removed.
 */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    parsed.username = '';
    parsed.password = '';
    for (const name of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAMS.has(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return String(url).replace(/([?&](?:token|key|password)=)[^&]*/gi, '$1***');
  }
}

/** Every http(s) URL inside a text, redacted with {@link redactUrl}. */
export function redactText(text: string): string {
  return text.replace(/https?:\/\/[^\s'"<>]+/g, (url) => redactUrl(url));
}

/**
 * A copy of an error that is safe to keep as a `cause`: name, `code` and message (URLs
 * redacted), and the same for its own causes (three levels deep). The original is dropped
 * because ky's errors hold the request, whose headers carry the `Girder-Token`.
 * @param error - anything thrown
 * @returns a plain Error without request, response or options
 */
export function safeCause(error: unknown, depth = 0): Error {
  if (!(error instanceof Error)) return new Error(redactText(String(error)));
  const inner = (error as { cause?: unknown }).cause;
  const copy = new Error(
    redactText(error.message),
    inner !== undefined && depth < 3 ? { cause: safeCause(inner, depth + 1) } : undefined,
  );
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  copy.stack = redactText(error.stack ?? '');
  return copy;
}
