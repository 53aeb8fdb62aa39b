import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBase64, encodeBase64Url } from '../../../src/core/protocol/base64.ts';
import { systemRandomBytes as randomBytes } from '../../../src/platform/system-random.ts';
import {
  EventFormatError,
  contentHash,
  encodePdu,
  eventIdFor,
  pduFromRoomEvent,
  redactedBytes,
  referenceHash,
  roomEventFromPdu,
  signEvent,
  verifyEvent,
} from '../../../src/core/protocol/event-hashing.ts';
import { canonicalJson } from '../../../src/core/protocol/canonical-json.ts';
import { sha256 } from '../../../src/core/protocol/crypto.ts';
import { redactEvent } from '../../../src/core/protocol/redaction.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import type { RoomVersion } from '../../../src/core/protocol/room-version.ts';
import { P2P_KEY_ID, serverNameFromPublicKey, signJson } from '../../../src/core/protocol/signing.ts';
import type { Pdu } from '../../../src/core/protocol/types.ts';
import { ed25519, signerFor } from '../../support/ed25519.ts';

const version = (id: string): RoomVersion => roomVersion(id)!;

// appendices.md, "Cryptographic Test Vectors" → "Signing Events".
const SPEC_SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
const MINIMAL_EVENT = JSON.parse(
  '{"room_id":"!x:domain","sender":"@a:domain","origin":"domain","origin_server_ts":1000000,"signatures":{},"hashes":{},"type":"X","content":{},"prev_events":[],"auth_events":[],"depth":3,"unsigned":{"age_ts":1000000}}',
);
const REDACTABLE_EVENT = JSON.parse(
  '{"content":{"body":"Here is the message content"},"event_id":"$0:domain","origin":"domain","origin_server_ts":1000000,"type":"m.room.message","room_id":"!r:domain","sender":"@u:domain","signatures":{},"unsigned":{"age_ts":1000000}}',
);

// gomatrixserverlib eventversion_test.go, TestEventIDForRoomVersionV3 and V4 (same JSON in both).
const GMSL_CREATE_EVENT = JSON.parse(
  '{"auth_events": [], "prev_events": [], "type": "m.room.create", "room_id": "!uXDCzlYgCTHtiWCkEx:jki.re", "sender": "@erikj:jki.re", "content": {"room_version": "5", "predecessor": {"room_id": "!gdRMqOrTFdOCYHNwOo:half-shot.uk", "event_id": "$LP7ROBc4b+cMc1UE9haIz8q5AK2AIW4eJ90FfKLvyZI"}, "creator": "@erikj:jki.re"}, "depth": 1, "prev_state": [], "state_key": "", "origin": "jki.re", "origin_server_ts": 1560284621137, "hashes": {"sha256": "IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc"}, "signatures": {"jki.re": {"ed25519:auto": "O4IyFfF2PPtGp5uaDm8t57dZbdh8vc8Q64LgCwvzYRVItAMI0uisfiAFaxkVT7MRpzh6N2QNN5NMRXZKmgPYDA"}}, "unsigned": {"age": 1321650}}',
);
// gomatrixserverlib eventversion_test.go, TestEventIDForRoomVersionV1.
const GMSL_V1_EVENT = JSON.parse(
  '{"auth_events":[["$oXL79cT7fFxR7dPH:localhost",{"sha256":"abjkiDSg1RkuZrbj2jZoGMlQaaj1Ue3Jhi7I7NlKfXY"}]],"content":{"name":"test3"},"depth":7,"event_id":"$yvN1b43rlmcOs5fY:localhost","hashes":{"sha256":"Oh1mwI1jEqZ3tgJ+V1Dmu5nOEGpCE4RFUqyJv2gQXKs"},"origin":"localhost","origin_server_ts":1510854416361,"prev_events":[],"prev_state":[],"room_id":"!19Mp0U9hjajeIiw1:localhost","sender":"@test:localhost","signatures":{},"state_key":"","type":"m.room.name"}',
);

describe('signEvent with the spec vectors', () => {
  test('example 1 (minimal event), under the v1-v10 redaction rules', async () => {
    for (const id of ['3', '10']) {
      const signed = await signEvent(MINIMAL_EVENT, signerFor('domain', SPEC_SEED, 'ed25519:1'), version(id));
      assert.deepEqual(signed, {
        ...MINIMAL_EVENT,
        hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
        signatures: {
          domain: {
            'ed25519:1':
              'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg',
          },
        },
      });
    }
  });

  test('example 1 signs differently under the v11 rules, which no longer keep origin', async () => {
    const signed = await signEvent(MINIMAL_EVENT, signerFor('domain', SPEC_SEED, 'ed25519:1'), version('11'));
    assert.equal(signed.hashes.sha256, '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
    // Not a spec vector: the value /work/shared/RESEARCH.md derived independently.
    assert.equal(
      signed.signatures.domain?.['ed25519:1'],
      'Jxp+1glFcZM+nnHpY0EkedRR7u0VmKsJYGnQqIvqus3UvL5X/p1y6wSkLhGoTBel6MZ9lrMIzUqrjqFquWJKBw',
    );
  });

  test('example 2 (redactable content, with a v1-style event_id)', async () => {
    const signed = await signEvent(
      REDACTABLE_EVENT,
      signerFor('domain', SPEC_SEED, 'ed25519:1'),
      version('1'),
    );
    assert.deepEqual(signed, {
      ...REDACTABLE_EVENT,
      hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
      signatures: {
        domain: {
          'ed25519:1':
            'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA',
        },
      },
    });
  });

  test('contentHash gives the spec hashes', async () => {
    assert.equal(await contentHash(MINIMAL_EVENT), '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
    assert.equal(await contentHash(REDACTABLE_EVENT), 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g');
  });

  test('the input event is not modified', async () => {
    const input = structuredClone(MINIMAL_EVENT);
    await signEvent(input, signerFor('domain', SPEC_SEED, 'ed25519:1'), version('10'));
    assert.deepEqual(input, MINIMAL_EVENT);
  });
});

describe('event ids', () => {
  test('gomatrixserverlib vector: v3 is standard base64, v4 url-safe', async () => {
    assert.equal(
      await eventIdFor(GMSL_CREATE_EVENT, version('3')),
      '$RrGxF28UrHLmoASHndYb9Jb/1SFww2ptmtur9INS438',
    );
    assert.equal(
      await eventIdFor(GMSL_CREATE_EVENT, version('4')),
      '$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438',
    );
  });

  test('v5-v10 share the v4 format and redaction of create events; v11 keeps all create content', async () => {
    for (const id of ['5', '6', '7', '8', '9', '10']) {
      assert.equal(
        await eventIdFor(GMSL_CREATE_EVENT, version(id)),
        '$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438',
      );
    }
    assert.notEqual(
      await eventIdFor(GMSL_CREATE_EVENT, version('11')),
      '$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438',
    );
  });

  test('the event id is the reference hash, which ignores unsigned, signatures and a local event_id', async () => {
    const v10 = version('10');
    const hash = await referenceHash(GMSL_CREATE_EVENT, v10);
    assert.equal(`$${encodeBase64Url(hash)}`, await eventIdFor(GMSL_CREATE_EVENT, v10));
    const decorated = { ...GMSL_CREATE_EVENT, unsigned: { x: 1 }, signatures: {}, event_id: '$local' };
    assert.deepEqual(await referenceHash(decorated, v10), hash);
  });

  test('the redacted bytes a receiver computes once give the same id and the same verdict', async () => {
    const v10 = version('10');
    const bytes = redactedBytes(GMSL_CREATE_EVENT, v10);
    assert.equal(await eventIdFor(GMSL_CREATE_EVENT, v10, bytes), await eventIdFor(GMSL_CREATE_EVENT, v10));
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    const tampered = { ...signed, content: { body: 'changed' } };
    for (const event of [signed, tampered]) {
      const given = await verifyEvent(ed25519, event, v10, redactedBytes(event, v10));
      assert.deepEqual(given, await verifyEvent(ed25519, event, v10));
    }
  });

  test('a PDU encoded once gives the bytes each check would encode on its own', async () => {
    const v10 = version('10');
    const v12 = version('12');
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    const cases: [Record<string, unknown>, RoomVersion][] = [
      [GMSL_CREATE_EVENT, v10],
      [{ ...GMSL_CREATE_EVENT, event_id: '$local', unsigned: { é: '𝄞 \u0000' } }, v10],
      [{ ...signed, content: { body: 'ünïcødé 𝄞', 'm.relates_to': { rel_type: 'm.thread' } } }, v10],
      [{ ...GMSL_CREATE_EVENT, room_id: undefined, content: { room_version: '12' } }, v12],
      [{ content: {}, hashes: {}, signatures: {} }, v10],
    ];
    for (const [raw, roomVersionOf] of cases) {
      const pdu = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
      const encoding = encodePdu(pdu, roomVersionOf);
      assert.equal(encoding.size, new TextEncoder().encode(canonicalJson(pdu)).length);
      assert.deepEqual(encoding.redacted, redactedBytes(pdu, roomVersionOf));
      const { event_id: _, unsigned: _u, signatures: _s, hashes: _h, ...hashed } = pdu;
      if (roomVersionOf.roomIdIsCreateEventId) delete hashed.room_id;
      assert.deepEqual(encoding.contentHash, await sha256(new TextEncoder().encode(canonicalJson(hashed))));
    }
    const tampered = { ...signed, content: { body: 'changed' } };
    for (const event of [signed, tampered]) {
      const given = await verifyEvent(ed25519, event, v10, encodePdu(event, v10));
      assert.deepEqual(given, await verifyEvent(ed25519, event, v10));
    }
    assert.throws(() => encodePdu({ ...signed, unsigned: { age: 1.5 } }, v10), /unsigned\.age: /);
  });

  test('v1/v2 events carry their own id (gomatrixserverlib TestEventIDForRoomVersionV1)', async () => {
    assert.equal(await eventIdFor(GMSL_V1_EVENT, version('1')), '$yvN1b43rlmcOs5fY:localhost');
    const { event_id: _, ...withoutId } = GMSL_V1_EVENT;
    await assert.rejects(eventIdFor(withoutId, version('2')), EventFormatError);
  });

  test('roomEventFromPdu adds the id; pduFromRoomEvent takes it off again', async () => {
    const v10 = version('10');
    const pdu = GMSL_CREATE_EVENT as Pdu;
    const event = await roomEventFromPdu(pdu, v10);
    assert.equal(event.event_id, '$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438');
    assert.deepEqual(pduFromRoomEvent(event, v10), pdu);
    assert.equal(
      (await roomEventFromPdu(GMSL_V1_EVENT as Pdu, version('1'))).event_id,
      GMSL_V1_EVENT.event_id,
    );
    assert.deepEqual(
      pduFromRoomEvent(await roomEventFromPdu(GMSL_V1_EVENT as Pdu, version('1')), version('1')),
      GMSL_V1_EVENT,
    );
  });
});

/** A P2P server: its name is the hex of its public key. */
interface Server {
  name: string;
  seed: Uint8Array;
}

async function newServer(): Promise<Server> {
  const seed = randomBytes(32);
  return { seed, name: serverNameFromPublicKey(await ed25519.publicKey(seed)) };
}

function messageFrom(server: string): Record<string, unknown> {
  return {
    room_id: `!room:${server}`,
    sender: `@alice:${server}`,
    origin_server_ts: 1_700_000_000_000,
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'hello' },
    prev_events: [],
    auth_events: [],
    depth: 4,
    unsigned: { age: 10 },
  };
}

/** A message from `sender`, signed by `signer` (default the sender) under the given room version. */
function signedMessage(sender: Server, id: string, signer = sender, keyId = P2P_KEY_ID) {
  return signEvent(messageFrom(sender.name), signerFor(signer.name, signer.seed, keyId), version(id));
}

describe('verifyEvent', () => {
  for (const id of ['10', '11']) {
    test(`accepts an event signed by its P2P sender (v${id})`, async () => {
      const alice = await newServer();
      const signed = await signedMessage(alice, id);
      assert.deepEqual(await verifyEvent(ed25519, signed, version(id)), { ok: true, hashMatches: true });
    });
  }

  test('a changed content keeps the signature valid but fails the hash (the event is to be redacted)', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    const tampered = { ...signed, content: { body: 'changed' } };
    assert.deepEqual(await verifyEvent(ed25519, tampered, version('10')), { ok: true, hashMatches: false });
    // The hashes themselves are covered by the signature.
    assert.deepEqual(
      await verifyEvent(ed25519, { ...signed, hashes: { sha256: 'garbage!' } }, version('10')),
      {
        ok: false,
        reason: `bad signature from ${alice.name}`,
      },
    );
  });

  test('a redacted copy still verifies, with a failed hash', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    assert.deepEqual(await verifyEvent(ed25519, redactEvent(signed, version('10')), version('10')), {
      ok: true,
      hashMatches: false,
    });
  });

  test('a changed protected field breaks the signature', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    assert.deepEqual(await verifyEvent(ed25519, { ...signed, depth: 5 }, version('10')), {
      ok: false,
      reason: `bad signature from ${alice.name}`,
    });
  });

  test('the signature must come from the sender’s server', async () => {
    const alice = await newServer();
    const mallory = await newServer();
    const forged = await signedMessage(alice, '10', mallory);
    assert.deepEqual(await verifyEvent(ed25519, forged, version('10')), {
      ok: false,
      reason: `no ed25519 signature from ${alice.name}`,
    });
    const stolenName = await signedMessage(alice, '10', { ...alice, seed: mallory.seed });
    assert.deepEqual(await verifyEvent(ed25519, stolenName, version('10')), {
      ok: false,
      reason: `bad signature from ${alice.name}`,
    });
  });

  test('any ed25519 key id of the server is accepted, since the name fixes the key', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10', alice, 'ed25519:old');
    assert.deepEqual(await verifyEvent(ed25519, signed, version('10')), { ok: true, hashMatches: true });
  });

  test('at most two signatures of a server are tried, ours first: a good one behind junk ones is not reached', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10', alice, 'ed25519:good');
    const good = signed.signatures[alice.name]!['ed25519:good']!;
    const junk = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`ed25519:junk${i}`, 'A'.repeat(86)]),
    );
    const behindJunk = { ...signed, signatures: { [alice.name]: { ...junk, 'ed25519:good': good } } };
    assert.deepEqual(await verifyEvent(ed25519, behindJunk, version('10')), {
      ok: false,
      reason: `bad signature from ${alice.name}`,
    });
    const oursAmongJunk = { ...signed, signatures: { [alice.name]: { ...junk, [P2P_KEY_ID]: good } } };
    assert.deepEqual(await verifyEvent(ed25519, oursAmongJunk, version('10')), {
      ok: true,
      hashMatches: true,
    });
  });

  test('a server name that is not a hex key cannot be checked', async () => {
    const signed = await signEvent(MINIMAL_EVENT, signerFor('domain', SPEC_SEED, 'ed25519:1'), version('10'));
    assert.deepEqual(await verifyEvent(ed25519, signed, version('10')), {
      ok: false,
      reason: 'unknown signing key for domain',
    });
  });

  test('a RoomEvent with its local event_id verifies like its PDU', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    const event = await roomEventFromPdu(signed as unknown as Pdu, version('10'));
    assert.deepEqual(await verifyEvent(ed25519, event, version('10')), { ok: true, hashMatches: true });
  });

  test('a join authorised via another server also needs that server’s signature (v8+)', async () => {
    const bob = await newServer();
    const resident = await newServer();
    const join = {
      ...messageFrom(bob.name),
      type: 'm.room.member',
      state_key: `@alice:${bob.name}`,
      content: { membership: 'join', join_authorised_via_users_server: `@admin:${resident.name}` },
    };
    const bobSigned = await signEvent(join, signerFor(bob.name, bob.seed), version('10'));
    assert.deepEqual(await verifyEvent(ed25519, bobSigned, version('10')), {
      ok: false,
      reason: `no ed25519 signature from ${resident.name}`,
    });
    // Before v8 the key means nothing.
    const v7Signed = await signEvent(join, signerFor(bob.name, bob.seed), version('7'));
    assert.deepEqual(await verifyEvent(ed25519, v7Signed, version('7')), { ok: true, hashMatches: true });
    // The resident server co-signs the redacted event, keeping the sender's signature.
    const both = await signEvent(bobSigned, signerFor(resident.name, resident.seed), version('10'));
    assert.deepEqual(Object.keys(both.signatures).sort(), [bob.name, resident.name].sort());
    assert.deepEqual(await verifyEvent(ed25519, both, version('10')), { ok: true, hashMatches: true });
  });

  test('reports events it cannot check instead of throwing', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '10');
    assert.deepEqual(await verifyEvent(ed25519, { ...signed, sender: 'nobody' }, version('10')), {
      ok: false,
      reason: 'the event has no sender with a server name',
    });
    const floaty = await verifyEvent(ed25519, { ...signed, depth: 1.5 }, version('10'));
    assert.equal(floaty.ok, false);
    assert.match(floaty.ok ? '' : floaty.reason, /depth: 1\.5 is not an integer/);
    assert.deepEqual(await verifyEvent(ed25519, { ...signed, signatures: 'x' }, version('10')), {
      ok: false,
      reason: `no ed25519 signature from ${alice.name}`,
    });
  });

  test('signJson on the redacted event and signEvent give the same signature', async () => {
    const alice = await newServer();
    const signed = await signedMessage(alice, '11');
    const { signatures: _, ...unsignedCopy } = signed;
    const viaJson = await signJson(
      redactEvent(unsignedCopy, version('11')),
      signerFor(alice.name, alice.seed),
    );
    assert.deepEqual(viaJson.signatures, signed.signatures);
  });
});
