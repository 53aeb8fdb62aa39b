// A node's human-readable name ("Alice's laptop"): its owner sets it
// (`p2p-matrix serve --name`, the extension's settings) and peers show it
// beside the hex server name. It travels as an extra field of the peer's own
// GET /_matrix/federation/v1/version answer, asked over the peer's
// authenticated connection, so no relay or third party can rename anyone. It
// is a label chosen by its owner, never an identity: the server name is.

import type { JsonObject } from '../protocol/types.ts';

/** The extra field of the version answer; namespaced so no future spec field can clash. */
export const NODE_NAME_FIELD = 'p2p_matrix.node_name';
/** Code points kept of a name; the popup has room for about this many. */
export const MAX_NODE_NAME_LENGTH = 64;

export const SOFTWARE = { name: 'p2p-matrix', version: '0.1.0' } as const;

/** Where a server answers with its software and, here, its name. */
export const VERSION_PATH = '/_matrix/federation/v1/version';

/**
 * A name as it may be shown: control and format characters (bidi overrides,
 * zero-width joiners) dropped, runs of whitespace made one space, trimmed, at
 * most MAX_NODE_NAME_LENGTH code points. Undefined when nothing is left or
 * `value` is not a string.
 */
export function cleanNodeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  const kept = [...cleaned].slice(0, MAX_NODE_NAME_LENGTH).join('').trim();
  return kept === '' ? undefined : kept;
}

/** The version answer: the software, and this node's name when it has one. */
export function versionBody(nodeName: string | undefined): JsonObject {
  const name = cleanNodeName(nodeName);
  return { server: { ...SOFTWARE }, ...(name !== undefined && { [NODE_NAME_FIELD]: name }) };
}

/** The name a peer's version answer claims, cleaned; undefined when it gives none. */
export function nodeNameFromVersion(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return cleanNodeName((body as Record<string, unknown>)[NODE_NAME_FIELD]);
}
