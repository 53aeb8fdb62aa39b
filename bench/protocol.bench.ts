// Protocol library throughput: Ed25519 on WebCrypto against tweetnacl, and
// the SHA-256 work done per event. Each figure is about one second of work.

import { createEd25519Backend, type Ed25519Backend } from '../src/platform/ed25519.ts';
import { contentHash, referenceHash, signEvent } from '../src/core/protocol/event-hashing.ts';
import { roomVersion } from '../src/core/protocol/room-version.ts';
import { serverNameFromPublicKey, signedBytes } from '../src/core/protocol/signing.ts';
import { signerFor } from '../test/support/ed25519.ts';

const SECOND_MS = 1000;

/** Runs `op` for about a second, `inFlight` at a time, and prints and returns operations per second. */
async function measure(label: string, op: () => Promise<unknown>, inFlight = 1): Promise<number> {
  for (let i = 0; i < 20; i++) await op(); // warm-up: JIT, key caches
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < SECOND_MS) {
    await Promise.all(Array.from({ length: inFlight }, op));
    done += inFlight;
  }
  const perSecond = done / ((performance.now() - start) / SECOND_MS);
  console.log(`  ${label.padEnd(46)} ${Math.round(perSecond).toLocaleString('en').padStart(9)} /s`);
  return perSecond;
}

/** A typical message event from a P2P server, signed as the core would. */
async function sampleEvent(): Promise<{
  event: Record<string, unknown>;
  seed: Uint8Array;
  backend: Ed25519Backend;
}> {
  const backend = createEd25519Backend('webcrypto');
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const server = serverNameFromPublicKey(await backend.publicKey(seed));
  const unsignedEvent = {
    room_id: `!AbCdEfGhIjKlMnOp:${server}`,
    sender: `@alice:${server}`,
    origin_server_ts: 1_700_000_000_000,
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'The quick brown fox jumps over the lazy dog. '.repeat(4) },
    prev_events: ['$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438'],
    auth_events: Array.from({ length: 3 }, () => '$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438'),
    depth: 42,
  };
  const event = await signEvent(unsignedEvent, signerFor(server, seed), roomVersion('10')!);
  return { event, seed, backend };
}

async function ed25519Rates(
  backend: Ed25519Backend,
  seed: Uint8Array,
  message: Uint8Array,
  inFlight: number,
) {
  const publicKey = await backend.publicKey(seed);
  const signature = await backend.sign(seed, message);
  const suffix = inFlight > 1 ? `, ${inFlight} in flight` : ', one at a time';
  const verify = await measure(
    `${backend.kind} verify${suffix}`,
    () => backend.verify(publicKey, message, signature),
    inFlight,
  );
  const sign = await measure(`${backend.kind} sign${suffix}`, () => backend.sign(seed, message), inFlight);
  return { verify, sign };
}

export default async function protocolBench(): Promise<void> {
  const { event, seed } = await sampleEvent();
  const message = signedBytes(event);
  console.log(`Ed25519 over a ${message.length}-byte signed message event:`);
  const webcrypto = await ed25519Rates(createEd25519Backend('webcrypto'), seed, message, 1);
  const webcryptoBatch = await ed25519Rates(createEd25519Backend('webcrypto'), seed, message, 32);
  const tweetnacl = await ed25519Rates(createEd25519Backend('tweetnacl'), seed, message, 1);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
  console.log(
    `  WebCrypto / tweetnacl: verify ${ratio(webcrypto.verify, tweetnacl.verify)} one at a time, ` +
      `${ratio(webcryptoBatch.verify, tweetnacl.verify)} batched; ` +
      `sign ${ratio(webcrypto.sign, tweetnacl.sign)} / ${ratio(webcryptoBatch.sign, tweetnacl.sign)}`,
  );

  console.log('Hashing (SHA-256 via @noble/hashes, canonical JSON included):');
  const v10 = roomVersion('10')!;
  await measure('contentHash, one at a time', () => contentHash(event));
  await measure('contentHash, 32 in flight', () => contentHash(event), 32);
  await measure('referenceHash (v10), one at a time', () => referenceHash(event, v10));
  await measure('referenceHash (v10), 32 in flight', () => referenceHash(event, v10), 32);
}
