// Firefox: the background is an event page, which offers no client channel
// (client-wire.ts), so the isolated script has no bridge to open one with.
import type { ChannelBridge } from './background-link.ts';

export const bridgeThroughFrame: ChannelBridge | undefined = undefined;
