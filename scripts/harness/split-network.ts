// A network where two browsers cannot reach each other but both reach a
// relay (issue 17's WebRTC through TURN): three network namespaces, R for the
// relay and its coturn, A and B for one browser each, each of A and B joined
// to R by a veth pair. R forwards nothing (a new namespace starts with
// ip_forward off), and A and B have a route to R's relay address only, so a
// packet from A to B has no way (as between two homes behind NATs with no
// STUN server: each end's host candidates are unreachable from the other),
// while both reach the relay's websocket and TURN ports. Nothing here has a
// route off the machine. Needs root and iproute2, as scripts/run-e2e.ts; may
// run inside run-e2e's namespace (new namespaces do not inherit it).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the relay listens, on R's loopback, routed to from A and B. */
const RELAY_HOST = '10.77.0.1';
/** The peers coturn must relay to although private (coturn refuses 10/8 on a non-loopback address). */
const PEER_RANGE = '10.77.0.0-10.77.255.255';

export interface SplitNetwork {
  /** Namespace names: the relay's, and browser A's and B's. */
  readonly relayNs: string;
  readonly aNs: string;
  readonly bNs: string;
  readonly relayHost: string;
  /** `p2p-matrix relay` flags: listen on relayHost, TURN there too, relaying to A and B. */
  readonly relayArgs: readonly string[];
  /** Deletes the namespaces (and with them the veth pairs). */
  close(): void;
}

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr || result.error?.message}`);
}

export function createSplitNetwork(): SplitNetwork {
  const tag = `p2pm-split-${process.pid}`;
  const relayNs = `${tag}-r`;
  const made: string[] = [];
  const close = () => {
    for (const ns of made.splice(0)) spawnSync('ip', ['netns', 'delete', ns]);
  };
  try {
    for (const ns of [relayNs, `${tag}-a`, `${tag}-b`]) {
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('-n', relayNs, 'addr', 'add', `${RELAY_HOST}/32`, 'dev', 'lo');
    for (const [side, subnet] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      const ns = `${tag}-${side}`;
      // Interface names stay under 15 characters whatever the pid.
      const inR = `r${side}${process.pid % 1_000_000}`;
      const inSide = `s${side}${process.pid % 1_000_000}`;
      ip('-n', relayNs, 'link', 'add', inR, 'type', 'veth', 'peer', 'name', inSide, 'netns', ns);
      ip('-n', relayNs, 'addr', 'add', `10.77.${subnet}.1/24`, 'dev', inR);
      ip('-n', relayNs, 'link', 'set', inR, 'up');
      ip('-n', ns, 'addr', 'add', `10.77.${subnet}.2/24`, 'dev', inSide);
      ip('-n', ns, 'link', 'set', inSide, 'up');
      ip('-n', ns, 'route', 'add', `${RELAY_HOST}/32`, 'via', `10.77.${subnet}.1`);
    }
  } catch (err) {
    close();
    throw err;
  }
  return {
    relayNs,
    aNs: `${tag}-a`,
    bNs: `${tag}-b`,
    relayHost: RELAY_HOST,
    relayArgs: ['--host', RELAY_HOST, '--port', '0', '--turn-port', '0', '--turn-allow-peers', PEER_RANGE],
    close,
  };
}

/**
 * An executable that runs `program` inside the namespace `ns` (for
 * playwright's executablePath); exec keeps the pid and the pipes.
 */
export function inNamespace(ns: string, program: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-netns-'));
  const path = join(dir, 'run');
  writeFileSync(path, `#!/bin/sh\nexec ip netns exec '${ns}' '${program}' "$@"\n`);
  chmodSync(path, 0o755);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
