// Messages of the relay's peer directory, `/p2p-matrix/peers/1.0.0` (see
// discovery.ts for why this protocol exists). Each message is one JSON object
// in one DATA frame (frames.ts), so a message is at most 16 KiB.
//   peer → relay: {type: 'register', addrs}   (again whenever its addresses change)
//   relay → peer: {type: 'peer', id, addrs}   (every other member, now and as they join)
//                 {type: 'gone', id}          (a member left)

import { encodeFrame, type Frame, FrameKind } from './frames.ts';
import { parseJsonObject } from './federation-wire.ts';

export const DIRECTORY_PROTOCOL = '/p2p-matrix/peers/1.0.0';
/** Addresses one member may list; more are dropped. */
export const MAX_ADDRS_PER_PEER = 8;
export const MAX_ADDR_LENGTH = 512;

export type DirectoryMessage =
  | { readonly type: 'register'; readonly addrs: string[] }
  | { readonly type: 'peer'; readonly id: string; readonly addrs: string[] }
  | { readonly type: 'gone'; readonly id: string };

const encoder = new TextEncoder();

/** One frame; throws RangeError when the message does not fit one. */
export function encodeDirectoryMessage(message: DirectoryMessage): Uint8Array {
  return encodeFrame(FrameKind.data, encoder.encode(JSON.stringify(message)));
}

/** The message in a frame, or undefined when it is not a well-formed one. */
export function decodeDirectoryMessage(frame: Frame): DirectoryMessage | undefined {
  if (frame.kind !== FrameKind.data) return undefined;
  const value = parseJsonObject(frame.payload);
  if (!value) return undefined;
  if (value.type === 'register') {
    const addrs = stringList(value.addrs);
    return addrs && { type: 'register', addrs };
  }
  if (typeof value.id !== 'string') return undefined;
  if (value.type === 'gone') return { type: 'gone', id: value.id };
  const addrs = stringList(value.addrs);
  return value.type === 'peer' && addrs ? { type: 'peer', id: value.id, addrs } : undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter((item): item is string => typeof item === 'string' && item.length <= MAX_ADDR_LENGTH)
    .slice(0, MAX_ADDRS_PER_PEER);
}
