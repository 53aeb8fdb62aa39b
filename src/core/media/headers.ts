// The headers every media answer carries (spec: "Content repository",
// "Security considerations", and GET /_matrix/client/v1/media/download):
// Content-Type as uploaded (checked to be a media type, else
// application/octet-stream), Content-Disposition `inline` only for the spec's
// list of types browsers do not execute and `attachment` for every other one,
// the sandboxing Content-Security-Policy the spec recommends, and nosniff, so
// that a file that lies about its type is never run as HTML or script in a
// page's origin. Cross-Origin-Resource-Policy lets web clients on any origin
// embed media in <img> (spec: the CORS and CORP headers of media responses).

/** The types the spec allows inline (v1.12 "Content-Disposition": the same list as Synapse's). */
const INLINE_TYPES: ReadonlySet<string> = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

export const MEDIA_CSP =
  "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; " +
  "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

const TOKEN = '[A-Za-z0-9!#$&^_.+-]{1,127}';
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
const CHARSET = /;\s*charset="?([A-Za-z0-9_.:-]{1,40})"?\s*(?:;|$)/i;

export const OCTET_STREAM = 'application/octet-stream';

/**
 * The media type to store for a client's Content-Type header: `type/subtype`
 * in lower case, with a charset kept for text; anything that is not a valid
 * media type (or absent) is application/octet-stream.
 */
export function normaliseContentType(header: string | undefined): string {
  if (header === undefined) return OCTET_STREAM;
  const [essence = '', ...rest] = header.split(';');
  const match = MEDIA_TYPE.exec(essence.trim());
  if (!match) return OCTET_STREAM;
  const type = `${match[1]}/${match[2]}`.toLowerCase();
  const charset = CHARSET.exec(`;${rest.join(';')}`)?.[1];
  return type.startsWith('text/') && charset ? `${type}; charset=${charset.toLowerCase()}` : type;
}

/** The type without parameters. */
export function essenceOf(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(essenceOf(contentType));
}

/** Headers of a media download or thumbnail answer. */
export function mediaHeaders(contentType: string, fileName: string | undefined): Record<string, string> {
  const disposition = isInlineSafe(contentType) ? 'inline' : 'attachment';
  return {
    'content-type': contentType,
    'content-disposition':
      fileName === undefined ? disposition : `${disposition}; ${fileNameParams(fileName)}`,
    'content-security-policy': MEDIA_CSP,
    'cross-origin-resource-policy': 'cross-origin',
    'x-content-type-options': 'nosniff',
    // An mxc URI names immutable content; authenticated media must not sit in shared caches.
    'cache-control': 'private, max-age=31536000, immutable',
  };
}

/** RFC 6266: an ASCII fallback `filename` and the exact name as UTF-8 in `filename*` (RFC 8187). */
function fileNameParams(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._ ()-]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return ascii === name ? `filename="${ascii}"` : `filename="${ascii}"; filename*=utf-8''${encoded}`;
}
