/**
 * Internal: the stand-in for MongoDB's `$text` search (Girder's `textSearch`): a case-insensitive
 * match of any word of `text` inside any of the fields.
 *
 * @param fields - The searched field values (name, description, login…).
 * @param text - The query.
 * @returns Whether any query word occurs.
 */
export function textMatches(fields: readonly string[], text: string): boolean {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = fields.join(' ').toLowerCase();
  return words.some((w) => hay.includes(w));
}

/**
 * Internal: Girder's `prefixSearch`: a user matches when its login starts with the query, or its
 * first or last name case-insensitively; anything else when its name starts with the query, or its
 * lower-cased name does (`prefixSearchFields = ('lowerName', 'name')`).
 *
 * @param doc - The document.
 * @param query - The prefix.
 * @returns Whether it matches.
 */
export function prefixMatches(
  doc: { name?: string; login?: string; firstName?: string; lastName?: string },
  query: string,
): boolean {
  if (doc.login !== undefined) {
    const lower = query.toLowerCase();
    return (
      doc.login.startsWith(query) ||
      (doc.firstName ?? '').toLowerCase().startsWith(lower) ||
      (doc.lastName ?? '').toLowerCase().startsWith(lower)
    );
  }
  const name = doc.name ?? '';
  return name.startsWith(query) || name.toLowerCase().startsWith(query);
}
