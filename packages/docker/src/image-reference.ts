// The grammar of Docker image references (distribution/reference): [domain[:port]/]path[:tag][@digest],
// or an image id. Checked before any request, so a malformed name is a clear spec error and not
// the engine's "Request path contains unescaped characters".
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{64}$/;

/** Whether `value` is a well-formed image reference (`name[:tag][@digest]`) or an image id. */
export function isImageReference(value: string): boolean {
  if (value.length > 4096) return false;
  if (IMAGE_ID.test(value)) return true;
  if (!REFERENCE.test(value)) return false;
  // The first component is a domain only when it has a dot or a port, or is localhost; a path
  // component must be lowercase (a domain may not).
  const slash = value.indexOf('/');
  const first = slash === -1 ? '' : value.slice(0, slash);
  const isDomain =
    first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
  const rest = (isDomain ? value.slice(slash + 1) : value).split(/[:@]/)[0] ?? '';
  return rest === rest.toLowerCase() && rest.length <= 255;
}
