// The relay's side of the peer directory (`/p2p-matrix/peers/1.0.0`, see
// src/platform/libp2p/discovery.ts for the decision). A member registers its
// addresses on a long-lived stream over a direct connection; the relay sends it
// every other member and pushes joins and leaves. Limits: `maxMembers` in all,
// `maxMembersPerHost` from one host,
// one stream per peer (a new one replaces the old), at most 8 addresses each,
// and at most one broadcast per member per second (later updates coalesce),
// so re-registering in a loop cannot turn the relay into an amplifier.

import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/public.ts';
import {
  decodeDirectoryMessage,
  DIRECTORY_PROTOCOL,
  type DirectoryMessage,
  encodeDirectoryMessage,
} from '../../platform/libp2p/directory-wire.ts';
import { FrameDecoder } from '../../platform/libp2p/frames.ts';
import { hostOf } from './hosts.ts';

const BROADCAST_COOLDOWN_MS = 1000;

interface Member {
  readonly stream: Stream;
  /** The host it registered from (hosts.ts): members per host are capped. */
  readonly host: string;
  addrs: string[];
  cooling?: ReturnType<typeof setTimeout>;
  dirty: boolean;
}

export interface DirectoryServer {
  /** Peer ids currently registered. */
  members(): string[];
  stop(): Promise<void>;
}

export interface DirectoryLimits {
  readonly maxMembers: number;
  /** Members registered from one host (identities are free; addresses less so). */
  readonly maxMembersPerHost: number;
}

export async function startDirectoryServer(
  libp2p: Libp2p,
  { maxMembers, maxMembersPerHost }: DirectoryLimits,
  logger: Logger,
): Promise<DirectoryServer> {
  const members = new Map<string, Member>();
  const send = (stream: Stream, message: DirectoryMessage) => {
    if (stream.writeStatus === 'writable') stream.send(encodeDirectoryMessage(message));
  };
  const broadcast = (id: string, message: DirectoryMessage) => {
    for (const [other, member] of members) if (other !== id) send(member.stream, message);
  };

  const announce = (id: string, member: Member) => {
    if (member.cooling) {
      member.dirty = true;
      return;
    }
    broadcast(id, { type: 'peer', id, addrs: member.addrs });
    member.cooling = setTimeout(() => {
      member.cooling = undefined;
      if (member.dirty && members.get(id) === member) {
        member.dirty = false;
        announce(id, member);
      }
    }, BROADCAST_COOLDOWN_MS);
  };

  const onRegister = (id: string, stream: Stream, host: string, addrs: string[]) => {
    let member = members.get(id);
    if (member?.stream !== stream) {
      member?.stream.abort(new Error('replaced by a newer registration'));
      member = { stream, host, addrs: [], dirty: false };
      members.set(id, member);
      for (const [other, m] of members)
        if (other !== id) send(stream, { type: 'peer', id: other, addrs: m.addrs });
    }
    member.addrs = withCircuits(libp2p, id, addrs);
    announce(id, member);
  };

  const handle = (stream: Stream, connection: Connection) => {
    const id = connection.remotePeer.toString();
    const host = hostOf(connection.remoteAddr);
    const fromHost = [...members.entries()].filter(([other, m]) => other !== id && m.host === host).length;
    if (
      connection.limits ||
      (!members.has(id) && members.size >= maxMembers) ||
      fromHost >= maxMembersPerHost
    ) {
      return stream.abort(new Error('directory is full, full for this host, or the connection is relayed'));
    }
    const frames = new FrameDecoder();
    stream.addEventListener('message', (evt) => {
      try {
        for (const frame of frames.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())) {
          const message = decodeDirectoryMessage(frame);
          if (message?.type === 'register') onRegister(id, stream, host, message.addrs);
        }
      } catch (err) {
        logger.warn('directory member sent malformed frames', { peer: id, error: String(err) });
        stream.abort(err instanceof Error ? err : new Error(String(err)));
      }
    });
    stream.addEventListener('close', () => {
      const member = members.get(id);
      if (member?.stream !== stream) return;
      clearTimeout(member.cooling);
      members.delete(id);
      broadcast(id, { type: 'gone', id });
    });
  };

  await libp2p.handle(DIRECTORY_PROTOCOL, handle, { maxInboundStreams: 2 });
  return {
    members: () => [...members.keys()],
    stop: async () => {
      await libp2p.unhandle(DIRECTORY_PROTOCOL);
      for (const member of members.values()) {
        clearTimeout(member.cooling);
        member.stream.abort(new Error('relay stopping'));
      }
      members.clear();
    },
  };
}

/** The member's own addresses that name it, plus its circuit address through each of our listen addresses. */
function withCircuits(libp2p: Libp2p, id: string, addrs: string[]): string[] {
  const own = addrs.filter((text) => {
    try {
      const last = multiaddr(text).getComponents().at(-1);
      return last?.name === 'p2p' && last.value === id;
    } catch {
      return false;
    }
  });
  const circuits = libp2p.getMultiaddrs().map((ma) => `${ma.toString()}/p2p-circuit/p2p/${id}`);
  return [...new Set([...own, ...circuits])];
}
