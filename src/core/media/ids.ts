// Media ids, server names in media paths, and file names: what the spec
// allows, checked before anything is looked up (spec: "Matrix Content (mxc://)
// URIs": a media id is `[A-Za-z0-9_-]+`; server names follow the grammar of
// "Server Name"). Nothing from a request ever becomes a storage path: content
// is found by the blob id of a metadata row.
import { invalidParam } from '../errors.ts';
import { encodeBase64Url } from '../protocol/base64.ts';
import type { RandomBytes } from '../ports.ts';

const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;
/** hostname (letters, digits, `-`, `.`), IPv4, or a bracketed IPv6 literal; an optional port. */
const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(?::[0-9]{1,5})?$/;

/** A new media id: 18 random bytes, URL-safe base64 (24 characters of the allowed set). */
export function newMediaId(randomBytes: RandomBytes): string {
  return encodeBase64Url(randomBytes(18));
}

export function checkMediaId(mediaId: string): string {
  if (!MEDIA_ID.test(mediaId)) throw invalidParam('Media ID must be 1 to 255 characters of [A-Za-z0-9_-]');
  return mediaId;
}

export function checkServerName(serverName: string): string {
  if (!SERVER_NAME.test(serverName)) throw invalidParam('Not a valid server name');
  return serverName;
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}

/**
 * A file name a client gave (upload `filename`, a download path's last
 * segment): at most 255 characters, no path separators, no control
 * characters, not `.` or `..`. It is only ever a label in
 * Content-Disposition, but one that could pass for a path is refused.
 */
export function checkFileName(name: string): string {
  const bad = [...name].some((c) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 || c === '\u007f');
  if (name.length === 0 || name.length > 255 || bad || name === '.' || name === '..') {
    throw invalidParam('File name must be 1 to 255 characters without /, \\ or control characters');
  }
  return name;
}
