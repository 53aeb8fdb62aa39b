// `p2p-matrix relay --port 9090 [--host 127.0.0.1] [--key-file relay.key]`:
// a libp2p node that peers (browsers above all) use to reach each other:
// websockets, circuit relay v2 server, identify, ping and the peer directory;
// and a TURN server for calls that cannot go direct (coturn, turn/coturn.ts,
// on UDP/TCP 3478 of the same host by default), whose short-lived credentials
// it hands its peers over libp2p (turn/turn-credentials.ts).
//
// Limits, so one peer cannot exhaust the relay:
//  - at most 128 reservations, each for 2 h (libp2p's default TTL);
//  - each relayed connection may carry 1 MiB and live 2 minutes. That is
//    enough for WebRTC signalling and the first federation requests; the
//    data path is meant to be direct (WebRTC, websockets), not the relay.
//    (libp2p's default 128 KiB would cut a single large transaction.)
//  - at most 64 concurrent hop requests, 512 connections, 25 new
//    connections per second from one host, 32 connections mid-handshake;
//  - the directory holds at most 1024 members (directory-server.ts);
//  - per host (identities are free, addresses less so: p2p/hosts.ts): at most
//    64 connections, 32 reservations and 32 directory members, so one
//    machine cannot take the relay's 512 connections, its 128 reservations
//    or its directory (issue 12).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { createLibp2p } from 'libp2p';
import { type Logger, silentLogger } from '../core/public.ts';
import { privateKeyFromSeed } from '../platform/libp2p/identity.ts';
import { startDirectoryServer } from './p2p/directory-server.ts';
import { connectionsFrom, hostOf, hostOfPeer } from './p2p/hosts.ts';
import { coturnMissing, startCoturn, type TurnServerOptions } from './turn/coturn.ts';
import { serveTurnCredentials } from './turn/turn-credentials.ts';
import { oneMessagePerWebSocketWrite } from '../platform/libp2p/websocket-writes.ts';

/** TURN's default port (RFC 8656 §18). */
export const DEFAULT_TURN_PORT = 3478;

export const relayLimits = {
  maxReservations: 128,
  reservationTtlMs: 2 * 60 * 60 * 1000,
  relayedDataBytes: 1024 * 1024,
  relayedDurationMs: 2 * 60 * 1000,
  maxHopStreams: 64,
  maxConnections: 512,
  newConnectionsPerSecondPerHost: 25,
  maxPendingConnections: 32,
  maxDirectoryMembers: 1024,
  maxConnectionsPerHost: 64,
  maxReservationsPerHost: 32,
  maxDirectoryMembersPerHost: 32,
} as const;

export type RelayLimits = Readonly<Record<keyof typeof relayLimits, number>>;

export interface RelayOptions {
  readonly host?: string;
  readonly port?: number;
  /** 32-byte Ed25519 seed for a stable relay PeerId; a fresh key when absent. */
  readonly seed?: Uint8Array;
  readonly logger?: Logger;
  /** Serve TURN with coturn on this address and port (port 0: a free one); none without. */
  readonly turn?: TurnServerOptions;
  /** Limits other than relayLimits (tests lower the per-host ones). */
  readonly limits?: Partial<RelayLimits>;
}

export interface Relay {
  /** Listen addresses, each ending in /p2p/<relay peer id>. */
  readonly multiaddrs: string[];
  /** The TURN server's URIs, when it serves TURN. */
  readonly turnUris?: readonly string[];
  /** Peer ids registered in the relay's directory now. */
  directoryMembers(): string[];
  /** Peer ids holding a relay reservation now. */
  reservations(): string[];
  stop(): Promise<void>;
}

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const limits: RelayLimits = { ...relayLimits, ...options.limits };
  // The gater runs once the node exists; it asks the node what it holds.
  let node: Libp2p | undefined;
  const reservedPeers = (): Iterable<PeerId> =>
    node
      ? (node.services as { relay: { reservations: { keys(): Iterable<PeerId> } } }).relay.reservations.keys()
      : [];
  const reservedFrom = (host: string, except: PeerId): number => {
    let count = 0;
    for (const peer of reservedPeers())
      if (!peer.equals(except) && node && hostOfPeer(node, peer) === host) count++;
    return count;
  };
  const libp2p = await createLibp2p({
    ...(options.seed && { privateKey: await privateKeyFromSeed(options.seed) }),
    addresses: { listen: [`/ip4/${host}/tcp/${options.port ?? 0}/ws`] },
    transports: [webSockets()],
    connectionEncrypters: [oneMessagePerWebSocketWrite(noise())],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialMultiaddr: () => false,
      denyInboundConnection: (maConn) =>
        node !== undefined &&
        connectionsFrom(node.getConnections(), hostOf(maConn.remoteAddr)) >= limits.maxConnectionsPerHost,
      denyInboundRelayReservation: (source) => {
        const host = node && hostOfPeer(node, source);
        return host === undefined || reservedFrom(host, source) >= limits.maxReservationsPerHost;
      },
    },
    connectionManager: {
      maxConnections: limits.maxConnections,
      inboundConnectionThreshold: limits.newConnectionsPerSecondPerHost,
      maxIncomingPendingConnections: limits.maxPendingConnections,
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        maxInboundHopStreams: limits.maxHopStreams,
        reservations: {
          maxReservations: limits.maxReservations,
          reservationTtl: limits.reservationTtlMs,
          defaultDataLimit: BigInt(limits.relayedDataBytes),
          defaultDurationLimit: limits.relayedDurationMs,
        },
      }),
    },
  });
  node = libp2p;
  const directory = await startDirectoryServer(
    libp2p,
    { maxMembers: limits.maxDirectoryMembers, maxMembersPerHost: limits.maxDirectoryMembersPerHost },
    logger,
  );
  const turn =
    options.turn &&
    (await startTurn(libp2p, options.turn).catch(async (err: unknown) => {
      await directory.stop();
      await libp2p.stop();
      throw err;
    }));
  return {
    multiaddrs: libp2p.getMultiaddrs().map((ma) => ma.toString()),
    directoryMembers: () => directory.members(),
    reservations: () => [...reservedPeers()].map((peer) => peer.toString()),
    ...(turn && { turnUris: turn.uris }),
    stop: async () => {
      await turn?.stop();
      await directory.stop();
      await libp2p.stop();
    },
  };
}

async function startTurn(libp2p: Libp2p, options: TurnServerOptions) {
  const server = await startCoturn(options);
  const credentials = await serveTurnCredentials(libp2p, server);
  return {
    uris: server.uris,
    stop: async () => {
      await credentials.stop();
      await server.stop();
    },
  };
}

export interface RelayIo {
  log(line: string): void;
}

/**
 * The `relay` subcommand: parses argv (the arguments after `relay`), starts the
 * relay, prints `relay listening on <multiaddr>` and stops cleanly on SIGINT/SIGTERM.
 */
export async function runRelay(argv: readonly string[], io: RelayIo = console): Promise<Relay> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '9090' },
      'key-file': { type: 'string' },
      'turn-host': { type: 'string' },
      'turn-port': { type: 'string', default: String(DEFAULT_TURN_PORT) },
      'no-turn': { type: 'boolean', default: false },
      'turn-allow-peers': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const port = portOf('--port', values.port);
  const keyFile = values['key-file'];
  const turn = turnOptions(values, io);
  const relay = await startRelay({
    host: values.host,
    port,
    ...(keyFile && { seed: loadOrCreateSeed(keyFile) }),
    ...(turn && { turn }),
  });
  // TURN first: a reader waiting for the listening lines has the TURN lines by then.
  for (const uri of relay.turnUris ?? []) io.log(`relay TURN on ${uri}`);
  for (const addr of relay.multiaddrs) io.log(`relay listening on ${addr}`);

  const onSignal = () => void stop().then(() => process.exit(0));
  const stop = async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await relay.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { ...relay, stop };
}

function portOf(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new TypeError(`invalid ${flag} ${value}`);
  return port;
}

/**
 * TURN on `--turn-host` (default: the relay's `--host`) and `--turn-port`,
 * unless `--no-turn`; without coturn installed the relay runs without TURN
 * and says so. A wildcard address cannot be named in a TURN URI.
 */
function turnOptions(
  values: {
    host: string;
    'turn-host'?: string;
    'turn-port': string;
    'no-turn': boolean;
    'turn-allow-peers': string[];
  },
  io: RelayIo,
): TurnServerOptions | undefined {
  if (values['no-turn']) return undefined;
  const host = values['turn-host'] ?? values.host;
  if (host === '0.0.0.0' || host === '::')
    throw new TypeError('TURN needs an address clients can reach: give --turn-host (or --no-turn)');
  const port = portOf('--turn-port', values['turn-port']);
  const allowedPeers = values['turn-allow-peers'].map(checkPeerRange);
  const missing = coturnMissing();
  if (missing) {
    io.log(`relay without TURN: ${missing}`);
    return undefined;
  }
  return { host, port, ...(allowedPeers.length > 0 && { allowedPeers }) };
}

/** `--turn-allow-peers`: an address or `<first>-<last>` range (coturn's `allowed-peer-ip`). */
function checkPeerRange(range: string): string {
  const ends = range.split('-');
  if (ends.length > 2 || ends.some((end) => isIP(end) === 0))
    throw new TypeError(`invalid --turn-allow-peers ${range} (an address or <first>-<last>)`);
  return range;
}

/** The relay's seed as 64 hex characters in `path`, created (mode 0600) on first use. */
function loadOrCreateSeed(path: string): Uint8Array {
  if (existsSync(path)) {
    const hex = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError(`${path} does not hold a 64-hex-character seed`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  const seed = crypto.getRandomValues(new Uint8Array(32));
  writeFileSync(path, Buffer.from(seed).toString('hex') + '\n', { mode: 0o600 });
  return seed;
}
