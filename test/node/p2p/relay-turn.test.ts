// The relay's TURN (coturn from Debian) and its credentials over libp2p: a
// peer asks its relay, gets REST shared-secret credentials for itself, and a
// real TURN client (coturn's own turnutils_uclient) relays packets through
// the relay's coturn with them; forged ones are refused. Also the wire's
// checks of what a relay answers, and `p2p-matrix relay`'s TURN flags.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { multiaddr } from '@multiformats/multiaddr';
import type { TurnCredentials } from '../../../src/core/public.ts';
import { createLibp2pTransport } from '../../../src/node/p2p/create-libp2p-transport.ts';
import { type Relay, runRelay, startRelay } from '../../../src/node/relay.ts';
import { turnLimits } from '../../../src/node/turn/coturn.ts';
import { turnCredentials } from '../../../src/node/turn/turn-credentials.ts';
import { encodeFrame, FrameKind } from '../../../src/platform/libp2p/frames.ts';
import type { Libp2pPeerTransport } from '../../../src/platform/libp2p/libp2p-transport.ts';
import { relayPeerId } from '../../../src/platform/libp2p/relay-keeper.ts';
import { turnFromRelays } from '../../../src/platform/libp2p/turn-client.ts';
import { decodeTurnCredentials, turnUriHost } from '../../../src/platform/libp2p/turn-wire.ts';
import { startRelayProcess, startServe } from '../../../scripts/harness/serve-process.ts';
import { until } from '../../support/js-sdk.ts';

const seed = (byte: number) => new Uint8Array(32).fill(byte);

/**
 * turnutils_uclient (coturn's test client) sends a few packets through TURN
 * between its own `clients` allocations (`-y`: client to client), all held
 * at once.
 */
function relayThrough(uri: string, username: string, password: string, clients = 1) {
  const { hostname, port } = new URL(uri.replace(/^turn:/, 'turn://'));
  const args = [
    '-u',
    username,
    '-w',
    password,
    '-p',
    port,
    '-y',
    '-n',
    '5',
    '-m',
    String(clients),
    '-c',
    hostname,
  ];
  const run = spawnSync('turnutils_uclient', args, { encoding: 'utf8', timeout: 60_000 });
  return `${run.stdout}${run.stderr}`;
}

describe('the relay serves TURN, with credentials over libp2p', () => {
  let relay: Relay;
  let peer: Libp2pPeerTransport;

  before(async () => {
    relay = await startRelay({ turn: { host: '127.0.0.1', port: 0 } });
    peer = await createLibp2pTransport({ seed: seed(7), relays: relay.multiaddrs, listen: [] });
    const relayId = relayPeerId(multiaddr(relay.multiaddrs[0]!));
    await until('connected to the relay', () => peer.libp2p.getConnections(relayId).length > 0);
  });

  after(async () => {
    await peer?.close();
    await relay?.stop();
  });

  test('a peer gets credentials for itself, made by the REST shared-secret scheme', async () => {
    const turn = turnFromRelays(
      peer.libp2p,
      relay.multiaddrs.map((a) => multiaddr(a)),
    );
    const credentials = await turn.credentials();
    assert.ok(credentials);
    assert.deepEqual(credentials.uris, relay.turnUris);
    assert.equal(credentials.ttl, 3600);
    const [expiry, user] = credentials.username.split(':');
    assert.equal(user, peer.libp2p.peerId.toString());
    assert.ok(Math.abs(Number(expiry) - (Date.now() / 1000 + 3600)) < 60);
    assert.match(credentials.password, /^[A-Za-z0-9+/]{27}=$/, 'base64 of a 20-byte HMAC-SHA1');
  });

  test('coturn relays with them, and refuses a forged password', async () => {
    const turn = turnFromRelays(
      peer.libp2p,
      relay.multiaddrs.map((a) => multiaddr(a)),
    );
    const { username, password, uris } = (await turn.credentials())!;
    const udp = uris.find((uri) => uri.endsWith('transport=udp'))!;
    const good = relayThrough(udp, username, password);
    assert.match(good, /Total lost packets 0 \(0\.0+%\)/, good);
    const forged = createHmac('sha1', 'not the secret').update(username).digest('base64');
    const bad = relayThrough(udp, username, forged);
    assert.doesNotMatch(bad, /Total lost packets/, 'no allocation with a forged password');
  });

  test('one peer holds the 40 allocations a call’s client pools at once, and not more than its quota', async () => {
    // Element gives each call's RTCPeerConnection a candidate pool of 20, so
    // Chromium allocates 20 on each of the two URIs when the call rings; a
    // quota of 16 once left half the calls without a relay candidate.
    const turn = turnFromRelays(
      peer.libp2p,
      relay.multiaddrs.map((a) => multiaddr(a)),
    );
    const { username, password, uris } = (await turn.credentials())!;
    const udp = uris.find((uri) => uri.endsWith('transport=udp'))!;
    const pool = relayThrough(udp, username, password, 40);
    assert.match(pool, /Total lost packets 0 \(0\.0+%\)/, pool);
    assert.doesNotMatch(pool, /486/, pool);
    // Another peer (a quota is per peer) asking more than the quota.
    const greedy = await createLibp2pTransport({ seed: seed(9), relays: relay.multiaddrs, listen: [] });
    try {
      const relayId = relayPeerId(multiaddr(relay.multiaddrs[0]!));
      await until('connected', () => greedy.libp2p.getConnections(relayId).length > 0);
      const its = (await turnFromRelays(
        greedy.libp2p,
        relay.multiaddrs.map((a) => multiaddr(a)),
      ).credentials())!;
      const tooMany = relayThrough(udp, its.username, its.password, turnLimits.allocationsPerUser + 2);
      assert.match(tooMany, /error 486 \(Allocation Quota Reached\)/, tooMany);
    } finally {
      await greedy.close();
    }
  });

  test('a relay without TURN answers nothing, and the source says so', async () => {
    const plain = await startRelay();
    const other = await createLibp2pTransport({ seed: seed(8), relays: plain.multiaddrs, listen: [] });
    try {
      const relayId = relayPeerId(multiaddr(plain.multiaddrs[0]!));
      await until('connected', () => other.libp2p.getConnections(relayId).length > 0);
      const turn = turnFromRelays(
        other.libp2p,
        plain.multiaddrs.map((a) => multiaddr(a)),
      );
      assert.equal(await turn.credentials(), undefined);
    } finally {
      await other.close();
      await plain.stop();
    }
  });

  test('`p2p-matrix relay` serves TURN on --turn-port, and not with --no-turn', async () => {
    const lines: string[] = [];
    const io = { log: (line: string) => lines.push(line) };
    const withTurn = await runRelay(['--port', '0', '--turn-port', '0'], io);
    try {
      assert.equal(withTurn.turnUris?.length, 2);
      assert.ok(lines.some((line) => /^relay TURN on turn:127\.0\.0\.1:\d+\?transport=udp$/.test(line)));
    } finally {
      await withTurn.stop();
    }
    const without = await runRelay(['--port', '0', '--no-turn'], io);
    assert.equal(without.turnUris, undefined);
    await without.stop();
    await assert.rejects(runRelay(['--port', '0', '--host', '0.0.0.0'], io), /--turn-host/);
    for (const range of ['10.0.0.0/8', 'everyone', '10.0.0.1-10.0.0.9-10.0.0.12']) {
      await assert.rejects(
        runRelay(['--port', '0', '--turn-allow-peers', range], io),
        /invalid --turn-allow-peers/,
      );
    }
  });
});

test('`serve --relay` answers /voip/turnServer with its relay’s TURN credentials', async () => {
  const relay = await startRelayProcess();
  const server = await startServe(['--port', '0', '--relay', relay.multiaddrs[0]!]);
  try {
    const post = async (body: object) => {
      const url = `${server.baseUrl}/_matrix/client/v3/register`;
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
      return res.json() as Promise<{ session: string; access_token: string }>;
    };
    const account = { username: 'alice', password: 'correct horse battery staple' };
    const { session } = await post(account);
    const { access_token } = await post({ ...account, auth: { type: 'm.login.dummy', session } });
    const turnServer = () =>
      fetch(`${server.baseUrl}/_matrix/client/v3/voip/turnServer`, {
        headers: { authorization: `Bearer ${access_token}` },
      }).then((res) => res.json() as Promise<Partial<TurnCredentials>>);
    // Until the relay connection is up the answer is {} (no TURN known yet).
    const credentials = await until('TURN credentials', async () => {
      const body = await turnServer();
      return body.uris ? (body as TurnCredentials) : undefined;
    });
    assert.deepEqual(credentials.uris, relay.turnUris);
    assert.match(credentials.username, /^\d+:12D3KooW/);
    assert.ok(credentials.ttl > 3500 && credentials.ttl <= 3600);
  } finally {
    await server.stop();
    await relay.stop();
  }
});

describe('what a relay answers is checked', () => {
  const frame = (value: unknown) => {
    const bytes = encodeFrame(FrameKind.data, new TextEncoder().encode(JSON.stringify(value)));
    return { kind: FrameKind.data, payload: bytes.subarray(5) };
  };
  const good = turnCredentials('secret', ['turn:127.0.0.1:3478?transport=udp'], 'peer', Date.now());

  test('well-formed credentials pass', () => {
    assert.deepEqual(decodeTurnCredentials(frame(good)), good);
  });

  test('other schemes, oversized fields, odd lifetimes and missing fields are refused', () => {
    for (const bad of [
      { ...good, uris: ['stun:127.0.0.1:3478'] },
      { ...good, uris: ['http://127.0.0.1/'] },
      { ...good, uris: ['turn:127.0.0.1:3478?transport=udp&x=1'] },
      { ...good, uris: [] },
      { ...good, uris: Array(9).fill(good.uris[0]) },
      { ...good, username: 'u'.repeat(257) },
      { ...good, password: '' },
      { ...good, ttl: 10 },
      { ...good, ttl: 3600.5 },
      { ...good, ttl: 10 * 24 * 3600 },
      { username: good.username, password: good.password, uris: good.uris },
      [good],
    ]) {
      assert.equal(decodeTurnCredentials(frame(bad)), undefined, JSON.stringify(bad).slice(0, 80));
    }
  });

  test('the host a URI names, for the check that it is the relay’s own', () => {
    assert.equal(turnUriHost('turn:127.0.0.1:3478?transport=udp'), '127.0.0.1');
    assert.equal(turnUriHost('turns:relay.example.org:5349?transport=tcp'), 'relay.example.org');
    assert.equal(turnUriHost('turn:[::1]:3478'), '::1');
  });
});
