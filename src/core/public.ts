// The core's public entry for the platforms (the extension's background and
// offscreen document, src/node, src/platform, scripts): everything they may
// use of the homeserver, and nothing else (scripts/boundary-rules.ts enforces it;
// protocol.ts is the Matrix protocol library's entry, storage.ts the one for
// store implementations). Keep it small: a platform that needs more asks the
// module's api for it, here, by name.
export {
  bootstrapIdentity,
  MAX_ACCESS_TOKEN_LIFETIME_MS,
  MIN_ACCESS_TOKEN_LIFETIME_MS,
  type OwnerSettings,
  type OwnerSettingsChange,
  type RegistrationMode,
  type ServerIdentity,
  type SupportInfo,
} from './accounts/api.ts';
export { internalError, MatrixError, tooLarge, unknown } from './errors.ts';
export {
  wholeBody,
  createInboundGate,
  defaultFederationRateLimits,
  defaultTransportLimits,
  type FederationRateLimits,
  FederationRateLimiter,
  FOUND_ON,
  type FederationBody,
  type FederationHandler,
  type FederationRequest,
  type FederationResponse,
  type InboundGate,
  isServerName,
  nodeNameFromVersion,
  PeerProtocolError,
  PeerSet,
  type PeerState,
  type PeerTransport,
  PeerUnreachable,
  type ProtocolViolation,
  publicKeyToServerName,
  type RequestOptions,
  responses,
  serverNameToPublicKey,
  type StreamingResponse,
  type StreamOptions,
  streamOf,
  type TransportLimits,
  type UnreachableReason,
  VERSION_PATH,
} from './federation/api.ts';
export {
  createHomeserver,
  type Homeserver,
  type HomeserverConfig,
  type HomeserverDeps,
  type MediaPlatform,
} from './homeserver.ts';
export { cachedHomeserverStore } from './homeserver-store.ts';
export { CORS_HEADERS, errorBody, jsonResponse, matrixErrorResponse } from './http/respond.ts';
export { StreamedBody } from './http/streamed-body.ts';
export type { HsRequest, HsResponse } from './http/types.ts';
export { KeyedQueue } from './keyed-queue.ts';
export {
  DEFAULT_MEDIA_CONFIG,
  type MediaConfig,
  type MediaModule,
  type MediaUsage,
  type Thumbnail,
  type Thumbnailer,
  type ThumbnailSpec,
} from './media/api.ts';
export { type BlobStore, memoryBlobStore } from './storage.ts';
export { type Clock, type Logger, type Pbkdf2Sha256, type RandomBytes, silentLogger } from './ports.ts';
export { BoundedCache } from './protocol/bounded-cache.ts';
export { SCHEMA } from './schema.ts';
export type { Report, ReportsView } from './rooms/api.ts';
export type { TurnCredentials, TurnSource } from './voip/api.ts';
export { cachedTurnCredentials } from './voip/api.ts';
