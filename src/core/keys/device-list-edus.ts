// Device-list EDUs from peers (spec server-server: "m.device_list_update",
// "m.signing_key_update"). A peer speaks only for its own users, and only
// about users in a room we hold (else we would store lists for nobody).
// Updates of a list we hold must follow its stream_id chain: an update
// whose prev_id does not name the stream_id we hold means we missed some,
// so the copy is marked stale and fetched again through user/devices.
// Device keys are checked (crypto) before the transaction.
import { type JsonObject, verifyJson } from '../protocol.ts';
import { nextStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { KeysDeps } from './deps.ts';
import { serverOf } from './device-lists.ts';
import { crossSigningPublicKey } from './key-checks.ts';
import { checkRemoteCrossSigningKey, checkRemoteDeviceKeys, resyncRemoteUser } from './remote-devices.ts';
import { DEFAULT_REMOTE_TIMEOUT_MS } from './query.ts';

const tables = (deps: KeysDeps) => [...deps.keys.tables, ...deps.rooms.tables, STREAM_TABLE];

/** m.device_list_update {user_id, device_id, stream_id, prev_id, deleted?, keys?, device_display_name?} */
export async function receiveDeviceListUpdate(
  deps: KeysDeps,
  origin: string,
  content: JsonObject,
): Promise<void> {
  const drop = (reason: string) => deps.logger.info('dropped m.device_list_update', { origin, reason });
  const { user_id: userId, device_id: deviceId, stream_id: streamId } = content;
  if (typeof userId !== 'string' || typeof deviceId !== 'string' || typeof streamId !== 'number')
    return drop('malformed');
  if (serverOf(userId) !== origin) return drop('not a user of the origin');
  const prevIds = Array.isArray(content.prev_id) ? content.prev_id.filter((p) => typeof p === 'number') : [];
  const deleted = content.deleted === true;
  const keys = deleted
    ? undefined
    : await checkRemoteDeviceKeys(deps.ed25519, userId, deviceId, content.keys);
  if (!deleted && content.keys !== undefined && !keys) return drop('device keys do not verify');
  const displayName =
    typeof content.device_display_name === 'string' ? content.device_display_name.slice(0, 200) : undefined;
  const outcome = await deps.store.write(tables(deps), async (tx) => {
    if ((await deps.rooms.joinedRoomIds(tx, userId)).length === 0) return 'shares no room with us';
    const held = await deps.keys.keyChange(tx, userId);
    const stream = await nextStreamPosition(tx);
    if (held?.remoteStream === undefined || held.stale) {
      // No list held: local clients re-query, and the query fetches it.
      await deps.keys.putKeyChange(tx, { userId, stream, stale: true });
      return 'applied';
    }
    if (streamId <= held.remoteStream) return 'repeat';
    if (!prevIds.includes(held.remoteStream)) {
      await deps.keys.putKeyChange(tx, { userId, stream, remoteStream: held.remoteStream, stale: true });
      return 'gap';
    }
    if (deleted) await deps.keys.deleteDevice(tx, userId, deviceId);
    else if (keys) await deps.keys.putDeviceKeys(tx, userId, deviceId, keys, displayName);
    await deps.keys.putKeyChange(tx, { userId, stream, remoteStream: streamId });
    return 'applied';
  });
  if (outcome === 'repeat') return;
  if (outcome !== 'applied' && outcome !== 'gap') return drop(outcome);
  deps.notifier.notify({ everyone: true });
  if (outcome === 'gap') {
    deps.logger.info('device list chain broken: fetching it again', { origin, userId });
    resyncRemoteUser(deps, userId, DEFAULT_REMOTE_TIMEOUT_MS).catch((err) =>
      deps.logger.info('device list resync failed', { userId, error: String(err) }),
    );
  }
}

/** m.signing_key_update {user_id, master_key?, self_signing_key?} */
export async function receiveSigningKeyUpdate(
  deps: KeysDeps,
  origin: string,
  content: JsonObject,
): Promise<void> {
  const drop = (reason: string) => deps.logger.info('dropped m.signing_key_update', { origin, reason });
  const userId = content.user_id;
  if (typeof userId !== 'string') return drop('malformed');
  if (serverOf(userId) !== origin) return drop('not a user of the origin');
  const master =
    content.master_key === undefined ? undefined : checkRemoteCrossSigningKey(userId, content.master_key);
  const selfSigning =
    content.self_signing_key === undefined
      ? undefined
      : checkRemoteCrossSigningKey(userId, content.self_signing_key);
  if (
    (content.master_key !== undefined && !master) ||
    (content.self_signing_key !== undefined && !selfSigning)
  )
    return drop('a key does not hold');
  const signer =
    master ??
    (await deps.store.read(deps.keys.tables, (tx) => deps.keys.crossSigningKey(tx, userId, 'master')));
  const signerKey = signer && crossSigningPublicKey(signer);
  if (
    selfSigning &&
    !(signerKey && (await verifyJson(deps.ed25519, selfSigning, userId, signerKey.keyId, signerKey.bytes)))
  )
    return drop('the self-signing key is not signed by the master key');
  const outcome = await deps.store.write(tables(deps), async (tx) => {
    if ((await deps.rooms.joinedRoomIds(tx, userId)).length === 0) return false;
    if (master) await deps.keys.putCrossSigningKey(tx, userId, 'master', master);
    if (selfSigning) await deps.keys.putCrossSigningKey(tx, userId, 'self_signing', selfSigning);
    const held = await deps.keys.keyChange(tx, userId);
    await deps.keys.putKeyChange(tx, { ...held, userId, stream: await nextStreamPosition(tx) });
    return true;
  });
  if (!outcome) return drop('shares no room with us');
  deps.notifier.notify({ everyone: true });
}
