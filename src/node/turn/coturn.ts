// The relay's TURN server: coturn (Debian's `coturn` package, `turnserver`),
// started and stopped by `p2p-matrix relay`, with the TURN REST shared-secret
// scheme (`use-auth-secret`): the relay makes each peer's credentials itself
// (turn-credentials.ts) and coturn checks them with the same secret, so no
// user database is kept anywhere.
//
// Why coturn: it is maintained, packaged by Debian and implements the REST
// scheme natively; on loopback it relayed turnutils_uclient's 6,000 messages
// (10 clients) with no loss. The npm alternative, node-turn 0.0.6 (last
// published in 2021), has no REST scheme and, under the Node 24 this
// project runs on, threw `data.readBit is not a function` on every
// ALLOCATE of the same client: no allocation at all. It would also have run
// in the relay's own event loop, beside libp2p.
//
// Safety (coturn's and Synapse's advice for TURN next to other services):
// no TLS/DTLS listeners unless configured, no CLI, no TCP relay, no multicast
// peers; on a public address, peers in private, loopback and reserved ranges
// are refused, so the relay cannot be used to reach its own network. Bound to
// loopback (tests, one machine), it relays only between loopback addresses.
// Per TURN user (one per peer: the username names the peer id) at most 128
// allocations, 4,096 in all, and 1 MB/s per allocation (turnLimits).
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../free-port.ts';

export const TURNSERVER_PATH = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
const TURN_LOG = process.env.P2PM_TURN_LOG;
const READY_TIMEOUT_MS = 10_000;
const PROBE_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;
const LOG_LINES_KEPT = 20;

/**
 * What one peer and all peers can make coturn hold. A call's client
 * allocates far more than the one relayed address it uses: Element asks its
 * RTCPeerConnection for a candidate pool of 20 (`iceCandidatePoolSize`), so
 * Chromium makes 20 allocations on each of our two URIs (udp, tcp) as soon
 * as the call rings, and frees all but the used one once the call's local
 * description is set. A quota of 16 refused 24 of the 40 (486 Allocation
 * Quota Reached), and the call was relayed only when the pooled session the
 * connection took had won one of the 16: half the calls stayed at ICE state
 * `new`, with no relay candidate on either side. 128 holds three such
 * clients ringing at once (the extension's homeserver is one TURN user for
 * all its users and devices); 4,096 in all stays far under the ~10,000
 * sessions coturn says its 20,000 file descriptors allow.
 */
export const turnLimits = {
  allocationsPerUser: 128,
  allocationsTotal: 4_096,
  bytesPerSecondPerAllocation: 1_000_000,
} as const;

export interface TurnServerOptions {
  /** The address coturn listens and relays on, and that the URIs name. */
  readonly host: string;
  /** UDP and TCP port; 0 picks a free one. */
  readonly port: number;
  /**
   * Peer addresses relayed to although in a refused range (coturn's
   * `allowed-peer-ip`: an address or `<first>-<last>`): a relay on a private
   * network its peers share (`--turn-allow-peers`), or a test's.
   */
  readonly allowedPeers?: readonly string[];
}

export interface TurnServer {
  /** `turn:` URIs for clients (UDP and TCP). */
  readonly uris: readonly string[];
  /** The shared secret credentials are made with (turn-credentials.ts). */
  readonly secret: string;
  stop(): Promise<void>;
}

/** Why TURN cannot be served here, or undefined when coturn is installed. */
export function coturnMissing(): string | undefined {
  if (existsSync(TURNSERVER_PATH)) return undefined;
  return `coturn is not installed (${TURNSERVER_PATH} is missing; apt-get install coturn)`;
}

export async function startCoturn(options: TurnServerOptions): Promise<TurnServer> {
  const missing = coturnMissing();
  if (missing) throw new Error(missing);
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const secret = randomBytes(32).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-turn-'));
  const config = join(dir, 'turnserver.conf');
  // The secret stays out of the command line (`ps` shows it to every user).
  writeFileSync(config, configLines({ ...options, port }, secret, dir).join('\n') + '\n', { mode: 0o600 });
  const child = spawn(TURNSERVER_PATH, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString().split('\n').filter(Boolean));
    log.splice(0, Math.max(0, log.length - LOG_LINES_KEPT));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    await endProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilAnswering(options.host, port, child, log);
  } catch (err) {
    await stop();
    throw err;
  }
  const host = isIPv6(options.host) ? `[${options.host}]` : options.host;
  return {
    uris: [`turn:${host}:${port}?transport=udp`, `turn:${host}:${port}?transport=tcp`],
    secret,
    stop,
  };
}

function configLines(
  { host, port, allowedPeers = [] }: TurnServerOptions,
  secret: string,
  dir: string,
): string[] {
  const loopback = host === '::1' || host.startsWith('127.');
  return [
    `listening-ip=${host}`,
    `relay-ip=${host}`,
    `listening-port=${port}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'realm=p2p-matrix',
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-tcp-relay',
    'no-multicast-peers',
    'no-software-attribute',
    `user-quota=${turnLimits.allocationsPerUser}`,
    `total-quota=${turnLimits.allocationsTotal}`,
    `max-bps=${turnLimits.bytesPerSecondPerAllocation}`,
    ...(loopback ? ['allow-loopback-peers'] : DENIED_PEER_RANGES.map((range) => `denied-peer-ip=${range}`)),
    ...allowedPeers.map((range) => `allowed-peer-ip=${range}`),
    // Its files in our own directory, not /var (no user database is used).
    `pidfile=${join(dir, 'turnserver.pid')}`,
    `userdb=${join(dir, 'turndb')}`,
    // P2PM_TURN_LOG=<file>: coturn's verbose log (every request and its answer) there, for debugging.
    ...(TURN_LOG ? ['verbose', `log-file=${TURN_LOG}`] : ['log-file=stdout']),
    'simple-log',
  ];
}

/** Private, loopback, link-local and reserved ranges (coturn's example configuration, as Synapse's TURN guide). */
const DENIED_PEER_RANGES = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.0.2.0-192.0.2.255',
  '192.88.99.0-192.88.99.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '198.51.100.0-198.51.100.255',
  '203.0.113.0-203.0.113.255',
  '240.0.0.0-255.255.255.255',
  '::1',
  '64:ff9b::-64:ff9b::ffff:ffff',
  '::ffff:0.0.0.0-::ffff:255.255.255.255',
  '100::-100::ffff:ffff:ffff:ffff',
  '2001::-2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff',
  '2002::-2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

/**
 * Resolves once coturn answers a STUN Binding request (RFC 8489 §6) on the
 * UDP port: it is listening. Rejects with its last log lines if it exits.
 */
function untilAnswering(host: string, port: number, child: ChildProcess, log: string[]): Promise<void> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8); // transaction id
  return new Promise<void>((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearInterval(probe);
      clearTimeout(deadline);
      child.off('exit', onExit);
      socket.close();
      settle();
    };
    const onExit = (code: number | null) =>
      finish(() => reject(new Error(`coturn exited (${code}): ${log.join(' | ')}`)));
    socket.on('message', (msg) => {
      if (
        msg.length >= 20 &&
        msg.readUInt16BE(0) === 0x0101 &&
        msg.subarray(8, 20).equals(request.subarray(8))
      )
        finish(resolve);
    });
    socket.on('error', () => {}); // ICMP port unreachable before it listens: probe again
    const probe = setInterval(() => socket.send(request, port, host), PROBE_INTERVAL_MS);
    const deadline = setTimeout(
      () => finish(() => reject(new Error(`coturn did not answer on ${host}:${port}: ${log.join(' | ')}`))),
      READY_TIMEOUT_MS,
    );
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if it has not exited after STOP_GRACE_MS. */
async function endProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(killer);
}
