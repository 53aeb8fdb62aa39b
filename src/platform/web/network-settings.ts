// The user's network settings (issue 5 "Settings"): relay addresses, ICE
// servers and the node's display name. Kept by the background in
// storage.local; the popup edits them, the libp2p node reads them. The
// defaults contact nobody: no relay, and none of the third-party STUN servers
// libp2p would otherwise use.
import { checkRelayMultiaddr } from './multiaddr-check.ts';

export interface IceServer {
  /** One `stun:`, `turn:` or `turns:` URL. */
  readonly urls: string;
  readonly username?: string;
  readonly credential?: string;
}

export interface NetworkSettings {
  readonly relays: readonly string[];
  readonly iceServers: readonly IceServer[];
  /** The name other peers see for this node ('' for none). */
  readonly displayName: string;
}

export const DEFAULT_SETTINGS: NetworkSettings = { relays: [], iceServers: [], displayName: '' };

export const MAX_DISPLAY_NAME_LENGTH = 64;

/** A setting the user typed is not valid; the message says why, in words. */
export class InvalidSettingError extends Error {
  override readonly name = 'InvalidSettingError';
}

/** A checked STUN/TURN server: `stun:host[:port]`, `turn(s):host[:port][?transport=udp|tcp]`. */
export function checkIceServer(input: IceServer): IceServer {
  const urls = input.urls.trim();
  const match = /^(stun|stuns|turn|turns):([^\s?/]+)(\?transport=(udp|tcp))?$/.exec(urls);
  if (!match) {
    throw new InvalidSettingError(
      `"${urls}" is not a STUN or TURN server; write it like stun:stun.example.org:3478 or turn:turn.example.org`,
    );
  }
  if (match[1]!.startsWith('stun') && match[3]) {
    throw new InvalidSettingError('A STUN server has no ?transport= part');
  }
  const username = input.username?.trim() ?? '';
  const credential = input.credential ?? '';
  if (match[1]!.startsWith('turn') && (username === '' || credential === '')) {
    throw new InvalidSettingError('A TURN server needs a username and a credential');
  }
  return { urls, ...(username !== '' ? { username } : {}), ...(credential !== '' ? { credential } : {}) };
}

export function checkDisplayName(input: string): string {
  const name = input.trim();
  if (name.length > MAX_DISPLAY_NAME_LENGTH) {
    throw new InvalidSettingError(`A display name has at most ${MAX_DISPLAY_NAME_LENGTH} characters`);
  }
  return name;
}

/**
 * Settings as stored or sent: every field checked, duplicates dropped.
 * Anything unreadable falls back to the default for that field only when
 * `lenient` (what storage holds); a message from the popup must be valid.
 */
export function checkSettings(input: unknown, lenient = false): NetworkSettings {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const field = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (err) {
      if (lenient) return fallback;
      throw err;
    }
  };
  return {
    relays: field(() => unique(list(raw.relays, 'relays').map((r) => checkRelayMultiaddr(String(r)))), []),
    iceServers: field(() => list(raw.iceServers, 'ICE servers').map((s) => checkIceServer(iceServer(s))), []),
    displayName: field(
      () => checkDisplayName(typeof raw.displayName === 'string' ? raw.displayName : ''),
      '',
    ),
  };
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidSettingError(`The ${what} must be a list`);
  return value;
}

function iceServer(value: unknown): IceServer {
  const raw = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof raw.urls !== 'string') throw new InvalidSettingError('An ICE server needs a URL');
  return {
    urls: raw.urls,
    ...(typeof raw.username === 'string' ? { username: raw.username } : {}),
    ...(typeof raw.credential === 'string' ? { credential: raw.credential } : {}),
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
