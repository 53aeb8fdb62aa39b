// What the composition root and the platforms may use of the federation
// module: room federation and the network directory to wire in, the
// PeerTransport port a platform implements (and its limits and errors), the
// inbound gate and answers a transport's server side uses, node names and
// server names, and the module's tables for the schema.
export {
  createFederationDirectory,
  type DirectoryTimeouts,
  type FederationDirectory,
  FOUND_ON,
  type NetworkRoomsChunk,
} from './directory/federation-directory.ts';
export type { EduSinks, PresenceValue, RemoteReceipt } from './edus.ts';
export {
  createFederation,
  type Federation,
  type FederationDeps,
  type FederationOptions,
  type FederationRoomHooks,
} from './federation.ts';
export { BodyLengthMismatch, wholeBody, exactChunks, streamOf } from './streamed-body.ts';
export {
  type FederationMediaFiles,
  mediaFederationRoutes,
} from './media/media-routes.ts';
export { createRemoteMedia, type RemoteMedia, type RemoteMediaCache } from './media/remote-media.ts';
export { createInboundGate, errorResponse, type InboundGate, responses } from './inbound.ts';
export {
  defaultFederationRateLimits,
  type FederationRateLimits,
  FederationRateLimiter,
} from './inbound-rate.ts';
export {
  cleanNodeName,
  MAX_NODE_NAME_LENGTH,
  NODE_NAME_FIELD,
  nodeNameFromVersion,
  VERSION_PATH,
} from './node-name.ts';
export { PeerSet } from './peer-set.ts';
export type { FederationRoute } from './route-registry.ts';
export { isServerName, publicKeyToServerName, serverNameToPublicKey } from './server-name.ts';
export { federationTables } from './tables.ts';
export {
  defaultTransportLimits,
  type FederationBody,
  type FederationHandler,
  type FederationRequest,
  type FederationResponse,
  PeerProtocolError,
  type PeerState,
  type PeerTransport,
  PeerUnreachable,
  type ProtocolViolation,
  type RequestOptions,
  type StreamingResponse,
  type StreamOptions,
  type TransportLimits,
  type UnreachableReason,
} from './transport.ts';
