// Counters of what reached this worker instance from content scripts, for the
// status message (the popup) and for tests that prove an unapproved page
// reaches nothing. In memory: they restart with the worker.

export interface ClientStats {
  /** Runtime ports content scripts opened. */
  portsOpened: number;
  /** Messages received on those ports (requests, aborts, pings). */
  messages: number;
  /** Ports closed because their sender was not an approved origin. */
  rejected: number;
  /** Ports open now. */
  open: number;
  /** Client channels ever paired with a port (client-wire.ts; Chrome). */
  channels: number;
  /** Messages received on those channels. */
  channelMessages: number;
}

export function createClientStats(): ClientStats {
  return { portsOpened: 0, messages: 0, rejected: 0, open: 0, channels: 0, channelMessages: 0 };
}
