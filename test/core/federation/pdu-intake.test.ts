// Steps 1 to 3 of the checks on receipt of a PDU (pdu-intake.ts) over many
// PDUs at once, as a transaction is checked: each PDU's canonical JSON is
// encoded once and its content hash taken in step 1, so a PDU whose hash or
// signature is wrong must still be redacted or dropped, whatever the PDUs
// checked beside it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { intakeAll } from '../../../src/core/federation/pdu-intake.ts';
import {
  canonicalJson,
  encodeBase64,
  MAX_PDU_BYTES,
  type JsonValue,
  decodeBase64,
  eventIdFor,
  roomVersion,
  serverNameFromPublicKey,
  signEvent,
} from '../../../src/core/protocol.ts';
import { ed25519, signerFor } from '../../support/ed25519.ts';

const v10 = roomVersion('10')!;
const SEED = new Uint8Array(32).fill(3);

async function signedPdus(count: number): Promise<Record<string, unknown>[]> {
  const server = serverNameFromPublicKey(await ed25519.publicKey(SEED));
  const signer = signerFor(server, SEED);
  const pdus: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const event = {
      room_id: `!room:${server}`,
      sender: `@alice:${server}`,
      origin_server_ts: 1_700_000_000_000 + i,
      type: 'm.room.message',
      // Bodies of different lengths and alphabets, so that each is encoded differently.
      content: { msgtype: 'm.text', body: `${'é😀x'.repeat(i * 7)} ${i}` },
      prev_events: [],
      auth_events: [],
      depth: 4 + i,
    };
    pdus.push(JSON.parse(JSON.stringify(await signEvent(event, signer, v10))));
  }
  return pdus;
}

describe('intakeAll', () => {
  test('checks each PDU on its own bytes: good ones pass, a wrong hash is redacted, a wrong signature dropped', async () => {
    const pdus = await signedPdus(12);
    const raws: Record<string, unknown>[] = pdus.map((pdu, i) => {
      if (i % 3 === 1) return { ...pdu, content: { msgtype: 'm.text', body: 'changed in transit' } };
      if (i % 3 === 2) {
        const [server, keys] = Object.entries(pdu.signatures as Record<string, Record<string, string>>)[0]!;
        const signature = decodeBase64(Object.values(keys)[0]!);
        signature[0]! ^= 1;
        return { ...pdu, signatures: { [server]: { 'ed25519:p2p': encodeBase64(signature) } } };
      }
      return pdu;
    });
    const results = await intakeAll(ed25519, raws as JsonValue[], v10);
    for (const [i, result] of results.entries()) {
      if (i % 3 === 2) {
        assert.ok(!result.ok, `PDU ${i}`);
        assert.match(result.reason, /^2: bad signature/);
        assert.equal(result.eventId, await eventIdFor(raws[i]!, v10));
        continue;
      }
      assert.ok(result.ok, `PDU ${i}`);
      assert.equal(result.redacted, i % 3 === 1, `PDU ${i}`);
      assert.equal(result.event.event_id, await eventIdFor(pdus[i]!, v10));
      // A redacted event keeps no content beyond what redaction keeps (none for a message).
      if (result.redacted) assert.deepEqual(result.event.content, {});
      else assert.deepEqual(result.event.content, pdus[i]!.content);
    }
  });

  test('the size limit counts the whole PDU in UTF-8 bytes, signatures and unsigned included', async () => {
    const [pdu] = await signedPdus(1);
    const big = (body: string) => ({ ...pdu, content: { body }, unsigned: { note: 'é'.repeat(100) } });
    const raws = [big('😀'.repeat(16_000)), big('x'.repeat(65_536)), big('é'.repeat(40_000))];
    const sizes = raws.map((raw) => new TextEncoder().encode(canonicalJson(raw)).length);
    assert.ok(sizes[0]! <= MAX_PDU_BYTES && sizes[1]! > MAX_PDU_BYTES && sizes[2]! > MAX_PDU_BYTES);
    const results = await intakeAll(ed25519, raws as JsonValue[], v10);
    for (const [i, result] of results.entries()) {
      const bytes = sizes[i]!;
      if (bytes <= MAX_PDU_BYTES) {
        // Under the limit: past step 1, its content changed, so redacted.
        assert.ok(result.ok && result.redacted, `PDU ${i}`);
      } else {
        assert.ok(!result.ok, `PDU ${i}`);
        assert.equal(result.reason, `1: the PDU is ${bytes} bytes, more than ${MAX_PDU_BYTES}`);
      }
    }
  });
});
