import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkMultiaddr, checkRelayMultiaddr } from '../../../src/platform/web/multiaddr-check.ts';

const ID = '12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';

describe('checking a typed multiaddr', () => {
  test('accepts what a browser node can dial, trimmed', () => {
    for (const addr of [
      `/ip4/127.0.0.1/tcp/9090/ws/p2p/${ID}`,
      `/dns4/relay.example.org/tcp/443/wss/p2p/${ID}`,
      `/ip6/::1/tcp/9090/ws/p2p/${ID}`,
      `/dns/relay.example.org/tcp/443/tls/ws/p2p/${ID}`,
      `/ip4/127.0.0.1/tcp/9090/ws/p2p/${ID}/p2p-circuit/webrtc/p2p/${ID}`,
      `/ip4/1.2.3.4/udp/4001/webrtc-direct/certhash/uEiAkH5a4DPGKUuOBjYw0CgwjvcJCJMD2K_1aluKR_tpevQ/p2p/${ID}`,
    ]) {
      assert.equal(checkMultiaddr(` ${addr}\n`), addr);
    }
  });

  test('says in words what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /^Enter a multiaddr/],
      ['relay.example.org:443', /starts with "\/"/],
      [`/ip4/256.0.0.1/tcp/1/ws/p2p/${ID}`, /"256.0.0.1" is not a valid \/ip4 value/],
      [`/ip4/1.2.3.4/tcp/70000/ws/p2p/${ID}`, /"70000" is not a valid \/tcp value/],
      [`/ip4/1.2.3.4/tcp/1/ws/p2p/notapeerid`, /"notapeerid" is not a valid \/p2p value/],
      [`/ip4/1.2.3.4/tcp`, /\/tcp needs a value/],
      [`/ip4/1.2.3.4//tcp/1`, /no empty parts/],
      [`/ipx/1.2.3.4/tcp/1/ws/p2p/${ID}`, /"ipx" is not a protocol/],
      [`/ip4/1.2.3.4/tcp/4001/p2p/${ID}`, /A browser can only connect through/],
      ['/ip4/1.2.3.4/tcp/4001/ws', /must end with \/p2p\/<peer id>/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => checkMultiaddr(input), { name: 'InvalidMultiaddrError', message }, input);
    }
  });

  test('a relay is reached directly, not through another relay', () => {
    assert.throws(() => checkRelayMultiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${ID}/p2p-circuit/p2p/${ID}`), {
      name: 'InvalidMultiaddrError',
      message: /cannot contain \/p2p-circuit/,
    });
  });
});
