// What the popup asks the background (requests, merged into ExtensionRequests
// in messages.ts) and the state the background pushes to it over a runtime
// port named POPUP_PORT_NAME: a whole PopupState snapshot on connect and after
// every change, so the popup never polls.
//
// A part the background cannot provide (the libp2p node before it is built or
// while it is down; the network directory before federation has one) is
// `state: 'unavailable'` with the reason in words and empty lists: the popup
// never shows invented peers or rooms.
import type { NetworkSettings } from './network-settings.ts';

export const POPUP_PORT_NAME = 'p2pm-popup';

/** The shortest password the popup lets the local account have (the popup says so before asking). */
export const MIN_PASSWORD_LENGTH = 8;

/** Background → popup over the port. */
export interface PopupStateMessage {
  readonly type: 'state';
  readonly state: PopupState;
}

export interface PopupState {
  readonly homeserver: HomeserverState;
  readonly account: AccountState;
  readonly network: NetworkState;
  /** Origins approved to use the homeserver. */
  readonly origins: readonly string[];
  /** The approved origins the user also allowed to create accounts (the popup always may). */
  readonly accountCreation: readonly string[];
  readonly settings: NetworkSettings;
  /** The last thing that went wrong in the background, in words (kept for the browser session). */
  readonly lastError: { readonly message: string; readonly at: number } | null;
}

export type HomeserverState =
  | { readonly state: 'starting' }
  | { readonly state: 'ready'; readonly serverName: string; readonly url: string }
  | { readonly state: 'failed'; readonly error: string };

/** The local account created from the popup (its user ID), if any. */
export type AccountState = { readonly state: 'none' } | { readonly state: 'exists'; readonly userId: string };

/** How a peer is connected: direct WebRTC, a websocket, or through a relay. */
export type ConnectionKind = 'webrtc' | 'websocket' | 'relayed';

export interface PeerEntry {
  readonly peerId: string;
  /** The peer's Matrix server name (hex of its key). */
  readonly serverName: string;
  readonly kind: ConnectionKind;
  /** Last measured round trip, null until one was measured. */
  readonly rttMs: number | null;
  /** When the connection opened (ms since the epoch). */
  readonly since: number;
  /** The name the peer gives itself ("Alice's laptop"), once it told us. */
  readonly name?: string;
}

export interface RelayEntry {
  readonly addr: string;
  readonly state: 'connected' | 'connecting' | 'disconnected';
}

export type NetworkState =
  | {
      readonly state: 'unavailable';
      readonly reason: string;
      readonly peers: readonly [];
      readonly relays: readonly [];
    }
  | {
      /** online: connected to at least one relay or peer. */
      readonly state: 'online' | 'offline';
      readonly peers: readonly PeerEntry[];
      readonly relays: readonly RelayEntry[];
    };

/** A joined room of the local account with its local aliases and its directory listing. */
export interface RoomAliases {
  readonly roomId: string;
  readonly name: string | null;
  readonly aliases: readonly string[];
  readonly published: boolean;
}

export type AliasList =
  | { readonly state: 'ready'; readonly serverName: string; readonly rooms: readonly RoomAliases[] }
  | { readonly state: 'unavailable'; readonly reason: string; readonly rooms: readonly [] };

export interface DirectoryRoom {
  readonly roomId: string;
  readonly alias: string | null;
  readonly name: string | null;
  readonly topic: string | null;
  readonly members: number;
  /** The servers whose directory listed the room. */
  readonly foundOn: readonly string[];
}

/**
 * `network`: every reachable peer's directory was asked; `local`: only this
 * server's (it is not connected to the network; `reason` says so in words).
 */
export type DirectoryResult =
  | { readonly state: 'network'; readonly rooms: readonly DirectoryRoom[] }
  | { readonly state: 'local'; readonly reason: string; readonly rooms: readonly DirectoryRoom[] };

/** The server's signing key as a backup file: whoever holds it can act as this server. */
export interface IdentityExport {
  readonly serverName: string;
  readonly fileName: string;
  readonly contents: string;
}

/** A report of content filed by a user of this homeserver (the core's Report, as the popup gets it). */
export interface ReportEntry {
  readonly id: number;
  readonly kind: 'event' | 'room' | 'user';
  readonly reporter: string;
  readonly reason: string;
  readonly ts: number;
  readonly roomId?: string;
  readonly eventId?: string;
  readonly userId?: string;
  readonly score?: number;
  /** The reported event as the reporter saw it. */
  readonly event?: { readonly type?: string; readonly sender?: string; readonly content?: unknown };
}

/** Files and bytes of one kind of media the homeserver stores. */
export interface MediaFigure {
  readonly files: number;
  readonly bytes: number;
}

/** What the homeserver stores of media (the Storage tab). */
export interface MediaUsageView {
  /** The local users' uploads. */
  readonly local: MediaFigure;
  /** Other peers' media cached here (clearable: it is fetched again when needed). */
  readonly remote: MediaFigure;
  /** Thumbnails of either. */
  readonly thumbnails: MediaFigure;
}

/**
 * The owner's settings of the homeserver itself (the core's OwnerSettings):
 * the lifetime of access tokens issued with a refresh token, and the support
 * contact `/.well-known/matrix/support` publishes (absent: the spec's 404).
 */
export interface ServerSettingsView {
  readonly accessTokenLifetimeMs: number;
  readonly support?: {
    readonly contacts?: readonly {
      readonly role: 'm.role.admin' | 'm.role.security';
      readonly matrix_id?: string;
      readonly email_address?: string;
    }[];
    readonly support_page?: string;
  };
}

/** The range the homeserver accepts for the lifetime (the core's MIN/MAX_ACCESS_TOKEN_LIFETIME_MS), in minutes. */
export const TOKEN_LIFETIME_MINUTES = { min: 1, max: 7 * 24 * 60 } as const;

/** A change to them; `support: null` removes the contact. */
export interface ServerSettingsChange {
  readonly accessTokenLifetimeMs?: number;
  readonly support?: ServerSettingsView['support'] | null;
}

type None = Record<string, never>;

/** The popup's requests; messages.ts merges them into ExtensionRequests. */
export interface PopupRequests {
  popupState: { params: None; result: PopupState };
  /** Registers the local account through the homeserver's own /register. */
  createAccount: { params: { readonly username: string; readonly password: string }; result: AccountState };
  /** Connects to a peer, or (asRelay) adds a relay to the settings and connects to it. */
  addPeer: { params: { readonly multiaddr: string; readonly asRelay: boolean }; result: NetworkSettings };
  removeRelay: { params: { readonly multiaddr: string }; result: NetworkSettings };
  /** Redials the relays and the known peers. */
  reconnect: { params: None; result: None };
  getSettings: { params: None; result: NetworkSettings };
  setSettings: { params: { readonly settings: Partial<NetworkSettings> }; result: NetworkSettings };
  listAliases: { params: None; result: AliasList };
  addAlias: { params: { readonly localpart: string; readonly roomId: string }; result: AliasList };
  removeAlias: { params: { readonly alias: string }; result: AliasList };
  setPublished: { params: { readonly roomId: string; readonly published: boolean }; result: AliasList };
  searchDirectory: { params: { readonly term: string }; result: DirectoryResult };
  exportIdentityKey: { params: None; result: IdentityExport };
  /** Reports of content by this homeserver's users, newest first: the owner is the only one who sees them. */
  listReports: { params: None; result: readonly ReportEntry[] };
  /** Removes a report the owner has dealt with; answers with the list left. */
  dismissReport: { params: { readonly id: number }; result: readonly ReportEntry[] };
  getServerSettings: { params: None; result: ServerSettingsView };
  /** Each field is checked by the homeserver (M_INVALID_PARAM); answers with the settings in force. */
  setServerSettings: { params: { readonly change: ServerSettingsChange }; result: ServerSettingsView };
  mediaUsage: { params: None; result: MediaUsageView };
  /** Deletes every cached file of other peers (and their thumbnails); the usage after. */
  clearRemoteMedia: { params: None; result: MediaUsageView };
}

export function isPopupStateMessage(value: unknown): value is PopupStateMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'state' &&
    typeof (value as { state?: unknown }).state === 'object'
  );
}
