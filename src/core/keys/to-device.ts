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

/** One message for one local device. */
interface Delivery {
  readonly userId: string;
  readonly deviceId: string;
  readonly content: JsonObject;
}

/** The local devices `messages` name ('*': every device of the user), and the local users named. */
async function localDeliveries(
  deps: KeysDeps,
  tx: WriteTx,
  messages: Recipients,
): Promise<{ deliveries: Delivery[]; users: string[] }> {
  const deliveries: Delivery[] = [];
  const users: string[] = [];
  for (const [userId, devices] of messages) {
    if (serverOf(userId) !== deps.serverName) continue;
    const known = (await deps.accounts.devices(tx, userId)).map((d) => d.deviceId);
    for (const [deviceId, content] of devices) {
      const targets = deviceId === '*' ? known : known.filter((d) => d === deviceId);
      for (const target of targets) deliveries.push({ userId, deviceId: target, content });
    }
    users.push(userId);
  }
  return { deliveries, users };
}

/**
 * Admits `deliveries` unless a device they go to holds MAX_DEVICE_INBOX
 * messages already; admitted ones count towards their inboxes. `inboxes`
 * keeps each device's count for the rest of the store transaction: counting
 * an inbox reads its rows, and a peer's transaction of to-device EDUs to one
 * device counted the same inbox once per message (issue 12, latency under
 * attack).
 */
async function admit(
  deps: KeysDeps,
  tx: WriteTx,
  deliveries: readonly Delivery[],
  inboxes = new Map<string, number>(),
): Promise<boolean> {
  const keys = deliveries.map((d) => `${d.userId}\u0000${d.deviceId}`);
  for (const [i, key] of keys.entries()) {
    let count = inboxes.get(key);
    if (count === undefined) {
      count = await deps.keys.messages.pendingFor(tx, deliveries[i]!.userId, deliveries[i]!.deviceId);
      inboxes.set(key, count);
    }
    if (count >= MAX_DEVICE_INBOX) return false;
  }
  for (const key of keys) inboxes.set(key, inboxes.get(key)! + 1);
  return true;
}

/** Stores one message's deliveries at one new stream position. */
async function storeDeliveries(
  deps: KeysDeps,
  tx: WriteTx,
  origin: string,
  sender: string,
  type: string,
  deliveries: readonly Delivery[],
): Promise<void> {
  const stream = await nextStreamPosition(tx);
  for (const { userId, deviceId, content } of deliveries)
    await deps.keys.messages.putToDevice(tx, { userId, deviceId, stream }, origin, { sender, type, content });
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
    const { deliveries, users } = await localDeliveries(deps, tx, messages);
    if (!(await admit(deps, tx, deliveries))) throw limitExceeded(1000);
    await storeDeliveries(deps, tx, deps.serverName, caller.userId, type, deliveries);
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
 * The m.direct_to_device EDUs of one transaction from `origin`, in one store
 * transaction (a flood of them cost one each: issue 12, "latency under
 * attack"): only from its own users, each message_id once, within the peer's
 * quota and the devices' inboxes; anything else is dropped with a logged
 * reason. The recipients' syncs are woken once, after the commit.
 */
export async function receiveDirectToDevice(
  deps: KeysDeps,
  origin: string,
  contents: readonly JsonObject[],
): Promise<void> {
  const drop = (reason: string) => deps.logger.info('dropped m.direct_to_device', { origin, reason });
  const valid: { sender: string; type: string; messageId: string; messages: Recipients }[] = [];
  for (const content of contents) {
    const { sender, type, message_id: messageId } = content;
    if (typeof sender !== 'string' || typeof type !== 'string' || typeof messageId !== 'string') {
      drop('malformed');
      continue;
    }
    if (serverOf(sender) !== origin) {
      drop('sender is not a user of the origin');
      continue;
    }
    try {
      valid.push({ sender, type, messageId, messages: parseMessages(content.messages as JsonValue) });
    } catch (err) {
      drop(err instanceof Error ? err.message : 'malformed messages');
    }
  }
  if (valid.length === 0) return;
  const { keys } = deps;
  const now = deps.clock.now();
  const outcome = await deps.store.write(changeTables(deps), async (tx) => {
    const users = new Set<string>();
    const dropped: string[] = [];
    let pending = await keys.messages.pendingFrom(tx, origin);
    const inboxes = new Map<string, number>();
    for (const m of valid) {
      if (await keys.messages.seenTxn(tx, m.sender, '', m.messageId)) continue;
      if (pending >= MAX_PENDING_PER_PEER) {
        dropped.push('over the peer quota');
        continue;
      }
      const local = await localDeliveries(deps, tx, m.messages);
      if (!(await admit(deps, tx, local.deliveries, inboxes))) {
        dropped.push('a device inbox is full');
        continue;
      }
      await storeDeliveries(deps, tx, origin, m.sender, m.type, local.deliveries);
      pending += local.deliveries.length;
      for (const user of local.users) users.add(user);
      await keys.messages.putTxn(tx, m.sender, '', m.messageId, now, now - TXN_TTL_MS);
    }
    return { users: [...users], dropped };
  });
  for (const reason of new Set(outcome.dropped)) drop(reason);
  if (outcome.users.length > 0) deps.notifier.notify({ users: outcome.users });
}
