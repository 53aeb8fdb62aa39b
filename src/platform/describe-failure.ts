// Says what failed, whatever was thrown. Browser WebRTC code rejects with
// bare DOM events (an RTCDataChannel's `error`, for instance), and
// `String(event)` is "[object Event]": a failed join was reported as
// "exchange with … failed: [object Event]", with the cause lost.

/** An Event-like value: its type, and the channel or connection it came from. */
interface EventLike {
  readonly type: string;
  readonly target?: unknown;
  readonly error?: unknown;
}

function isEventLike(value: unknown): value is EventLike {
  return typeof value === 'object' && value !== null && typeof (value as EventLike).type === 'string';
}

/** `label` and `readyState` of a data channel, `connectionState` of a peer connection, etc. */
function describeTarget(target: unknown): string {
  if (typeof target !== 'object' || target === null) return '';
  const fields = ['label', 'readyState', 'connectionState', 'iceConnectionState'] as const;
  const parts = fields.flatMap((name) => {
    const value = (target as Record<string, unknown>)[name];
    return typeof value === 'string' ? [`${name}=${JSON.stringify(value)}`] : [];
  });
  const kind = (target as { constructor?: { name?: string } }).constructor?.name;
  return ` on ${kind ?? 'an object'}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

export function describeFailure(err: unknown, depth = 0): string {
  if (err instanceof Error) {
    const message = err.message || err.name;
    return err.cause !== undefined && depth < 3
      ? `${message} (cause: ${describeFailure(err.cause, depth + 1)})`
      : message;
  }
  if (isEventLike(err)) {
    const inner = err.error !== undefined && depth < 3 ? `: ${describeFailure(err.error, depth + 1)}` : '';
    return `${err.type} event${describeTarget(err.target)}${inner}`;
  }
  return String(err);
}
