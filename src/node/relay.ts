// `p2p-matrix relay --port 9090 [--host 127.0.0.1] [--key-file relay.key]`:
// a libp2p node that peers (browsers above all) use to reach each other:
// websockets, circuit relay v2 server, identify, ping and the peer directory.
//
// Limits, so one peer cannot exhaust the relay:
//  - at most 128 reservations, each for 2 h (libp2p's default TTL);
//  - each relayed connection may carry 1 MiB and live 2 minutes. That is
//    enough for WebRTC signalling and the first federation requests; the
//    data path is meant to be direct (WebRTC, websockets), not the relay.
//    (libp2p's default 128 KiB would cut a single large transaction.)
//  - at most 64 concurrent hop requests, 512 connections, 25 new
//    connections per second from one host, 32 connections mid-handshake;
//  - the directory holds at most 1024 members (directory-server.ts).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';
import { type Logger, silentLogger } from '../core/public.ts';
import { privateKeyFromSeed } from '../platform/libp2p/identity.ts';
import { startDirectoryServer } from './p2p/directory-server.ts';

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
} as const;

export interface RelayOptions {
  readonly host?: string;
  readonly port?: number;
  /** 32-byte Ed25519 seed for a stable relay PeerId; a fresh key when absent. */
  readonly seed?: Uint8Array;
  readonly logger?: Logger;
}

export interface Relay {
  /** Listen addresses, each ending in /p2p/<relay peer id>. */
  readonly multiaddrs: string[];
  stop(): Promise<void>;
}

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const libp2p = await createLibp2p({
    ...(options.seed && { privateKey: await privateKeyFromSeed(options.seed) }),
    addresses: { listen: [`/ip4/${host}/tcp/${options.port ?? 0}/ws`] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: {
      maxConnections: relayLimits.maxConnections,
      inboundConnectionThreshold: relayLimits.newConnectionsPerSecondPerHost,
      maxIncomingPendingConnections: relayLimits.maxPendingConnections,
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        maxInboundHopStreams: relayLimits.maxHopStreams,
        reservations: {
          maxReservations: relayLimits.maxReservations,
          reservationTtl: relayLimits.reservationTtlMs,
          defaultDataLimit: BigInt(relayLimits.relayedDataBytes),
          defaultDurationLimit: relayLimits.relayedDurationMs,
        },
      }),
    },
  });
  const directory = await startDirectoryServer(libp2p, relayLimits.maxDirectoryMembers, logger);
  return {
    multiaddrs: libp2p.getMultiaddrs().map((ma) => ma.toString()),
    stop: async () => {
      await directory.stop();
      await libp2p.stop();
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
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`invalid --port ${values.port}`);
  const keyFile = values['key-file'];
  const relay = await startRelay({
    host: values.host,
    port,
    ...(keyFile && { seed: loadOrCreateSeed(keyFile) }),
  });
  for (const addr of relay.multiaddrs) io.log(`relay listening on ${addr}`);

  const onSignal = () => void stop().then(() => process.exit(0));
  const stop = async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await relay.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { multiaddrs: relay.multiaddrs, stop };
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
