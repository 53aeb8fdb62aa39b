// Send-to-device messaging (spec: "Send-to-Device messaging", client
// "PUT /sendToDevice/{eventType}/{txnId}", server-server
// "m.direct_to_device"). Messages for local devices are stored in the
// sender's transaction with one new stream position; messages for other
// servers' users go into the persisted outbox as one EDU per server, in the
// same transaction, so nothing is lost when a peer is offline. A
// transaction id seen before from the same device is answered as done.
import { MatrixError, badJson, limitExceeded } from '../errors.ts';
import type { Caller } from '../http/route.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../protocol/types.ts';
import type { WriteTx } from '../storage/port.ts';
import { nextStreamPosition } from '../storage/stream.ts';
import type { KeysDeps } from './deps.ts';
import { byRemoteServer, changeTables, serverOf } from './device-lists.ts';

/** Largest content of one message, as JSON (Olm-encrypted room keys are a few KB). */
export const MAX_MESSAGE_CHARS = 65_536;
/** Messages waiting for one device; beyond it senders are told to slow down. */
export const MAX_DEVICE_INBOX = 10_000;
/** Messages from one peer waiting for our devices; beyond it the peer's are dropped. */
export const MAX_PENDING_PER_PEER = 1_000;
/** Recipients one request or EDU may name. */
export const MAX_RECIPIENTS = 1_000;
/** Transaction ids are remembered this long. */
export const TXN_TTL_MS = 24 * 3_600_000;

type Recipients = Map<string, Map<string, JsonObject>>;

/** `{user: {device or '*': content}}`, each content an object within the size limit. */
export function parseMessages(value: unknown): Recipients {
  if (!isJsonObject(value)) throw badJson('messages must be an object');
  const out: Recipients = new Map();
  let count = 0;
  for (const [userId, devices] of Object.entries(value)) {
    if (!isJsonObject(devices)) throw badJson(`messages.${userId} must be an object`);
    const byDevice = new Map<string, JsonObject>();
    for (const [deviceId, content] of Object.entries(devices)) {
      if (!isJsonObject(content)) throw badJson('each message must be an object');
      if (JSON.stringify(content).length > MAX_MESSAGE_CHARS)
        throw new MatrixError(413, 'M_TOO_LARGE', 'a to-device message is too large');
      if (++count > MAX_RECIPIENTS) throw badJson('too many recipients');
      byDevice.set(deviceId, content as JsonObject);
    }
    out.set(userId, byDevice);
  }
  return out;
}

/**
 * Stores messages for local devices ('*': every device of the user); a full
 * inbox throws 429, which aborts the whole transaction.
 */
async function storeLocal(
  deps: KeysDeps,
  tx: WriteTx,
  origin: string,
  sender: string,
  type: string,
  messages: Recipients,
): Promise<string[]> {
  const stream = await nextStreamPosition(tx);
  const users: string[] = [];
  for (const [userId, devices] of messages) {
    if (serverOf(userId) !== deps.serverName) continue;
    const known = (await deps.accounts.devices(tx, userId)).map((d) => d.deviceId);
    for (const [deviceId, content] of devices) {
      const targets = deviceId === '*' ? known : known.filter((d) => d === deviceId);
      for (const target of targets) {
        if ((await deps.keys.messages.pendingFor(tx, userId, target)) >= MAX_DEVICE_INBOX)
          throw limitExceeded(1000);
        await deps.keys.messages.putToDevice(tx, { userId, deviceId: target, stream }, origin, {
          sender,
          type,
          content,
        });
      }
    }
    users.push(userId);
  }
  return users;
}

/** PUT /sendToDevice/{eventType}/{txnId} */
export async function sendToDevice(
  deps: KeysDeps,
  caller: Caller,
  type: string,
  txnId: string,
  messages: Recipients,
): Promise<void> {
  const { keys } = deps;
  const now = deps.clock.now();
  const outcome = await deps.store.write(changeTables(deps), async (tx) => {
    if (await keys.messages.seenTxn(tx, caller.userId, caller.deviceId, txnId)) return undefined;
    const users = await storeLocal(deps, tx, deps.serverName, caller.userId, type, messages);
    await keys.messages.putTxn(tx, caller.userId, caller.deviceId, txnId, now, now - TXN_TTL_MS);
    const remote = await queueRemote(deps, tx, caller, type, txnId, messages);
    return { users, remote };
  });
  if (!outcome) return;
  if (outcome.users.length > 0) deps.notifier.notify({ users: outcome.users });
  if (outcome.remote.length > 0) deps.federation()?.wake(outcome.remote);
}

/** One m.direct_to_device EDU per other server named (spec: message_id unique per sender). */
async function queueRemote(
  deps: KeysDeps,
  tx: WriteTx,
  caller: Caller,
  type: string,
  txnId: string,
  messages: Recipients,
): Promise<string[]> {
  const byServer = byRemoteServer(deps.serverName, messages);
  const federation = deps.federation();
  if (!federation || byServer.size === 0) return [];
  const destinations: string[] = [];
  for (const [server, forServer] of byServer) {
    const content = {
      sender: caller.userId,
      type,
      message_id: `${caller.deviceId}.${txnId}`,
      messages: forServer,
    };
    destinations.push(...(await federation.queueEdu(tx, [server], 'm.direct_to_device', content)));
  }
  return destinations;
}

/**
 * m.direct_to_device from `origin`: only from its own users, each message_id
 * once, within the peer's quota; anything else is dropped with a logged reason.
 */
export async function receiveDirectToDevice(
  deps: KeysDeps,
  origin: string,
  content: JsonObject,
): Promise<void> {
  const { sender, type, message_id: messageId } = content;
  const drop = (reason: string) => deps.logger.info('dropped m.direct_to_device', { origin, reason });
  if (typeof sender !== 'string' || typeof type !== 'string' || typeof messageId !== 'string')
    return drop('malformed');
  if (serverOf(sender) !== origin) return drop('sender is not a user of the origin');
  let messages: Recipients;
  try {
    messages = parseMessages(content.messages as JsonValue);
  } catch (err) {
    return drop(err instanceof Error ? err.message : 'malformed messages');
  }
  const { keys } = deps;
  const now = deps.clock.now();
  const outcome = await deps.store
    .write(changeTables(deps), async (tx) => {
      if (await keys.messages.seenTxn(tx, sender, '', messageId)) return 'repeat';
      if ((await keys.messages.pendingFrom(tx, origin)) >= MAX_PENDING_PER_PEER) return 'over the peer quota';
      const users = await storeLocal(deps, tx, origin, sender, type, messages);
      await keys.messages.putTxn(tx, sender, '', messageId, now, now - TXN_TTL_MS);
      return users;
    })
    .catch((err: unknown) => {
      if (err instanceof MatrixError && err.errcode === 'M_LIMIT_EXCEEDED') return 'a device inbox is full';
      throw err;
    });
  if (typeof outcome === 'string') {
    if (outcome !== 'repeat') drop(outcome);
    return;
  }
  if (outcome.length > 0) deps.notifier.notify({ users: outcome });
}
