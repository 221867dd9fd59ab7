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
