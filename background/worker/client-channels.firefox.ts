// Firefox: the background is an event page, not a service worker; a content
// script's requests stay on its runtime port, and no channel is offered.
import type { ClientChannelOffers } from './client-ports.ts';

export function clientChannelOffers(): ClientChannelOffers | undefined {
  return undefined;
}
