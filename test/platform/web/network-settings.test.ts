import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkIceServer,
  checkSettings,
  DEFAULT_SETTINGS,
} from '../../../src/platform/web/network-settings.ts';

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';

describe('network settings', () => {
  test('the defaults contact nobody', () => {
    assert.deepEqual(DEFAULT_SETTINGS, { relays: [], iceServers: [], displayName: '' });
    assert.deepEqual(checkSettings(undefined), DEFAULT_SETTINGS);
  });

  test('ICE servers: STUN without credentials, TURN with them', () => {
    assert.deepEqual(checkIceServer({ urls: ' stun:stun.example.org:3478 ' }), {
      urls: 'stun:stun.example.org:3478',
    });
    assert.deepEqual(
      checkIceServer({ urls: 'turns:t.example:5349?transport=tcp', username: 'u', credential: 'c' }),
      {
        urls: 'turns:t.example:5349?transport=tcp',
        username: 'u',
        credential: 'c',
      },
    );
    assert.throws(() => checkIceServer({ urls: 'turn:t.example' }), {
      message: /needs a username and a credential/,
    });
    assert.throws(() => checkIceServer({ urls: 'https://t.example' }), { name: 'InvalidSettingError' });
    assert.throws(() => checkIceServer({ urls: 'stun:s.example?transport=udp' }), {
      message: /no \?transport=/,
    });
  });

  test('relays are checked and kept once each; the display name is trimmed and bounded', () => {
    assert.deepEqual(checkSettings({ relays: [RELAY, ` ${RELAY}`], displayName: ' Laptop ' }), {
      relays: [RELAY],
      iceServers: [],
      displayName: 'Laptop',
    });
    assert.throws(() => checkSettings({ displayName: 'x'.repeat(65) }), { name: 'InvalidSettingError' });
    assert.throws(() => checkSettings({ relays: RELAY }), { message: 'The relays must be a list' });
  });

  test('what storage holds is read leniently: a broken field falls back to its default only', () => {
    assert.deepEqual(checkSettings({ relays: ['garbage'], displayName: 'Laptop' }, true), {
      relays: [],
      iceServers: [],
      displayName: 'Laptop',
    });
  });
});
