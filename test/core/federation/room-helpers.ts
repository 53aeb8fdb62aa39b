// Client-side helpers for the room federation tests: what a user would do
// and check through the client API on one node of a federated cluster.
import assert from 'node:assert/strict';
import { currentStateIds, roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import { type Account, type ClusterNode, type Json, eventually } from '../../support/federated-cluster.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let txn = 0;

export async function createRoom(node: ClusterNode, who: Account, body: Json = {}): Promise<string> {
  const res = await node.request('POST', `${V3}/createRoom`, body, who.accessToken);
  if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id;
}

/** Alice on A creates a public room and bob on B joins it through A. */
export async function twoServerRoom(
  a: ClusterNode,
  b: ClusterNode,
  names: readonly [string, string] = ['alice', 'bob'],
) {
  const alice = await a.register(names[0]);
  const bob = await b.register(names[1]);
  const roomId = await createRoom(a, alice, { preset: 'public_chat' });
  const joined = await join(b, bob, roomId, [a.serverName]);
  assert.equal(joined.status, 200, JSON.stringify(joined.body));
  return { alice, bob, roomId };
}

export function join(node: ClusterNode, who: Account, roomId: string, via: readonly string[] = []) {
  const query = via.map((s) => `server_name=${enc(s)}`).join('&');
  return node.request('POST', `${V3}/join/${enc(roomId)}${query ? `?${query}` : ''}`, {}, who.accessToken);
}

export async function say(node: ClusterNode, who: Account, roomId: string, text: string): Promise<string> {
  const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`;
  const res = await node.request('PUT', path, { msgtype: 'm.text', body: text }, who.accessToken);
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

export async function putState(
  node: ClusterNode,
  who: Account,
  roomId: string,
  type: string,
  content: Json,
  stateKey = '',
): Promise<string> {
  const res = await node.request(
    'PUT',
    `${V3}/rooms/${enc(roomId)}/state/${type}/${enc(stateKey)}`,
    content,
    who.accessToken,
  );
  if (res.status !== 200) throw new Error(`state: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

/** The texts of the room's messages the user sees, oldest first. */
export async function texts(node: ClusterNode, who: Account, roomId: string): Promise<string[]> {
  const res = await node.request(
    'GET',
    `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=1000`,
    undefined,
    who.accessToken,
  );
  if (res.status !== 200) return [];
  return res.body.chunk
    .filter((e: Json) => e.type === 'm.room.message')
    .map((e: Json) => e.content.body)
    .reverse();
}

/** Waits until the user sees `expected` as the room's latest messages. */
export function seesTexts(node: ClusterNode, who: Account, roomId: string, expected: readonly string[]) {
  return eventually(
    async () => {
      const seen = await texts(node, who, roomId);
      return expected.every((t) => seen.includes(t)) ? seen : undefined;
    },
    `${who.userId} sees ${expected.join(', ')}`,
  );
}

/** The current state event ids of a room on a node, keyed by type and state key. */
export async function stateIds(
  node: ClusterNode,
  who: Account,
  roomId: string,
): Promise<Record<string, string>> {
  const res = await node.request('GET', `${V3}/rooms/${enc(roomId)}/state`, undefined, who.accessToken);
  const out: Record<string, string> = {};
  for (const e of res.body) out[`${e.type}|${e.state_key}`] = e.event_id;
  return out;
}

/** The current state a server holds for a room (what its operator would see), keyed by type and state key. */
export async function serverState(node: ClusterNode, roomId: string): Promise<Record<string, string>> {
  const state = await node.store.read(roomTableNames, (tx) => currentStateIds(tx, roomId));
  const out: Record<string, string> = {};
  for (const [key, id] of [...state].sort(([x], [y]) => (x < y ? -1 : 1)))
    out[key.replace('\u0000', '|')] = id;
  return out;
}

export async function sync(node: ClusterNode, who: Account, since?: string): Promise<Json> {
  const query = since ? `?since=${enc(since)}&timeout=0` : '';
  const res = await node.request('GET', `${V3}/sync${query}`, undefined, who.accessToken);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** One state event's content as the user reads it (undefined when absent or not readable). */
export async function stateContent(
  node: ClusterNode,
  who: Account,
  roomId: string,
  type: string,
  stateKey = '',
): Promise<Json> {
  const res = await node.request(
    'GET',
    `${V3}/rooms/${enc(roomId)}/state/${type}/${enc(stateKey)}`,
    undefined,
    who.accessToken,
  );
  return res.status === 200 ? res.body : undefined;
}
