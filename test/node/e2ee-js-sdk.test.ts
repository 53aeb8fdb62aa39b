// End-to-end encryption across peers with the crypto stack Element uses:
// matrix-js-sdk with its Rust crypto (matrix-sdk-crypto-wasm) on two
// `p2p-matrix serve` processes federating over real libp2p through a relay
// (the built CLI: `npm run build` first). An encrypted room, messages that
// decrypt both ways, a second device, a peer that is offline while the
// other sends, cross-signing, and key backup restored on a new device.
//
// Every wait is bounded by a hang guard (a broken build fails instead of
// hanging); none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type MatrixClient, Preset } from 'matrix-js-sdk';
import {
  freePort,
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { type Credentials, cryptoClient, loginDevice, registerUser, until } from '../support/js-sdk.ts';

const PASSWORD = 'correct horse battery';

/** Whether the client shows `body` as a decrypted message of the room (what its user reads). */
function decrypted(client: MatrixClient, roomId: string, body: string): boolean {
  const events = client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
  return events.some((e) => e.isEncrypted() && !e.isDecryptionFailure() && e.getContent().body === body);
}

const readsMessage = (client: MatrixClient, roomId: string, body: string) =>
  until(`${client.getUserId()}/${client.getDeviceId()} decrypts "${body}"`, async () =>
    decrypted(client, roomId, body),
  );

async function send(client: MatrixClient, roomId: string, body: string): Promise<void> {
  await client.sendTextMessage(roomId, body);
}

describe('end-to-end encryption between two serve peers (matrix-js-sdk, Rust crypto)', () => {
  const dirs: string[] = [];
  const clients: MatrixClient[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let bPort: number;
  let bData: string;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let aliceCreds: Credentials;
  let bobCreds: Credentials;
  let roomId: string;

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-e2ee-'));
    dirs.push(dir);
    return dir;
  };
  const servePeer = (data: string, port = 0) =>
    startServe(['--port', String(port), '--data', data, '--relay', relay.multiaddrs[0]!]);
  const started = async (base: string, creds: Credentials) => {
    const client = await cryptoClient(base, creds);
    clients.push(client);
    return client;
  };

  before(async () => {
    relay = await startRelayProcess();
    bPort = await freePort();
    bData = tempDir();
    [a, b] = await Promise.all([servePeer(tempDir()), servePeer(bData, bPort)]);
    [aliceCreds, bobCreds] = await Promise.all([
      registerUser(a.baseUrl, 'alice', PASSWORD),
      registerUser(b.baseUrl, 'bob', PASSWORD),
    ]);
    [alice, bob] = await Promise.all([started(a.baseUrl, aliceCreds), started(b.baseUrl, bobCreds)]);
  });

  after(async () => {
    for (const client of clients) client.stopClient();
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('an encrypted room across the peers: messages decrypt both ways', async () => {
    const created = await alice.createRoom({
      preset: Preset.PrivateChat,
      invite: [bobCreds.userId],
      initial_state: [
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      ],
    });
    roomId = created.room_id;
    await until('bob is invited', async () => bob.getRoom(roomId)?.getMyMembership() === 'invite');
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    await until(
      'alice sees bob joined',
      async () => alice.getRoom(roomId)?.getMember(bobCreds.userId)?.membership === 'join',
    );
    await send(alice, roomId, 'hello bob, secretly');
    await readsMessage(bob, roomId, 'hello bob, secretly');
    await until('bob’s crypto knows the room is encrypted', () =>
      bob.getCrypto()!.isEncryptionEnabledInRoom(roomId),
    );
    await send(bob, roomId, 'hello alice, secretly');
    await readsMessage(alice, roomId, 'hello alice, secretly');
  });

  test('bob adds a second device, which decrypts new messages', async () => {
    const bob2 = await started(b.baseUrl, await loginDevice(b.baseUrl, 'bob', PASSWORD));
    await until('alice knows bob’s second device', async () => {
      const devices = await alice.getCrypto()!.getUserDeviceInfo([bobCreds.userId], true);
      return devices.get(bobCreds.userId)?.has(bob2.getDeviceId()!);
    });
    await send(alice, roomId, 'for both of your devices');
    await readsMessage(bob2, roomId, 'for both of your devices');
    await readsMessage(bob, roomId, 'for both of your devices');
  });

  test('bob’s peer is offline while alice sends; it comes back and bob decrypts', async () => {
    await b.stop();
    await send(alice, roomId, 'sent while you were away');
    b = await servePeer(bData, bPort);
    await readsMessage(bob, roomId, 'sent while you were away');
  });

  test('cross-signing bootstrapped, and bob’s second device verified by his first', async () => {
    const auth =
      (userId: string) => async (makeRequest: (auth: Record<string, unknown> | null) => Promise<unknown>) => {
        await makeRequest({
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: userId },
          password: PASSWORD,
        });
      };
    await bob.getCrypto()!.bootstrapCrossSigning({ authUploadDeviceSigningKeys: auth(bobCreds.userId) });
    await alice.getCrypto()!.bootstrapCrossSigning({ authUploadDeviceSigningKeys: auth(aliceCreds.userId) });
    assert.ok(await bob.getCrypto()!.isCrossSigningReady());
    const bob2 = clients.find((c) => c.getUserId() === bobCreds.userId && c !== bob)!;
    await until('bob’s first device knows his second', async () => {
      const devices = await bob.getCrypto()!.getUserDeviceInfo([bobCreds.userId], true);
      return devices.get(bobCreds.userId)?.has(bob2.getDeviceId()!);
    });
    await bob.getCrypto()!.crossSignDevice(bob2.getDeviceId()!);
    // The signature went through the server: bob's first device downloads it again and trusts the device.
    await until('bob2 is cross-signing verified', async () => {
      await bob.getCrypto()!.getUserDeviceInfo([bobCreds.userId], true);
      const status = await bob.getCrypto()!.getDeviceVerificationStatus(bobCreds.userId, bob2.getDeviceId()!);
      return status?.crossSigningVerified;
    });
    // And alice sees bob's cross-signing identity through her own server.
    await until('alice sees bob’s cross-signing keys', async () => {
      const identity = await alice.getCrypto()!.getUserVerificationStatus(bobCreds.userId);
      return (
        identity.isCrossSigningVerified() ||
        (await alice.getCrypto()!.userHasCrossSigningKeys(bobCreds.userId, true))
      );
    });
  });

  test('key backup: a new device of alice restores the keys and decrypts older messages', async () => {
    const crypto = alice.getCrypto()!;
    await crypto.resetKeyBackup();
    const version = (await crypto.getActiveSessionBackupVersion())!;
    assert.ok(version);
    await until('alice’s room keys are in the backup', async () => {
      const res = await fetch(`${a.baseUrl}/_matrix/client/v3/room_keys/version`, {
        headers: { authorization: `Bearer ${aliceCreds.accessToken}` },
      });
      const body = (await res.json()) as { count?: number };
      return (body.count ?? 0) > 0;
    });
    const key = (await crypto.getSessionBackupPrivateKey())!;
    const alice2 = await started(a.baseUrl, await loginDevice(a.baseUrl, 'alice', PASSWORD));
    await until('alice2 has the room', async () => alice2.getRoom(roomId) !== null);
    assert.equal(
      decrypted(alice2, roomId, 'hello bob, secretly'),
      false,
      'a new device cannot read old messages',
    );
    await alice2.getCrypto()!.storeSessionBackupPrivateKey(key, version);
    const restored = await alice2.getCrypto()!.restoreKeyBackup();
    assert.ok(restored.imported > 0);
    await readsMessage(alice2, roomId, 'hello bob, secretly');
  });
});
