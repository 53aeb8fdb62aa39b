// Extension background: the composition root of the homeserver (Chrome MV3
// service worker, Firefox event page). The extension issue fills this in;
// for now it proves the bundle loads in both browsers.
import { SUPPORTED_ROOM_VERSIONS } from '../src/core/protocol.ts';

console.info(`p2p-matrix background started (room versions ${SUPPORTED_ROOM_VERSIONS.join(', ')})`);
