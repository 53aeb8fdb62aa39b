// Short forms of long identifiers and numbers for a narrow popup; the full
// form is always one hover (title) or one copy away.

/** `a1b2c3d4…e5f6a7` for a 64-character server name; short names as they are. */
export function shortName(name: string, head = 8, tail = 6): string {
  return name.length <= head + tail + 1 ? name : `${name.slice(0, head)}…${name.slice(-tail)}`;
}

/** `#room:a1b2c3d4…e5f6a7`: an alias or user ID with its server name shortened. */
export function shortId(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? id : `${id.slice(0, colon + 1)}${shortName(id.slice(colon + 1))}`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
