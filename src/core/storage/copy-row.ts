// A row's own copy, as structuredClone makes it, for the commit log and the
// row cache (each keeps what a row was at its put or read, and hands out
// copies, since callers may go on changing the objects they hold). Rows are
// JSON trees nearly always: copying their objects and arrays member by member
// takes about a microsecond for a received message's event row, where
// structuredClone (V8's serializer and deserializer) takes ten or more
// (Node 24.21, load 5; three to five copies per received PDU, issue 13).
// Anything else in a row (a typed array, a Blob, a Date) is copied by
// structuredClone, so the copy is the one structuredClone would make.
//
// A frozen array is shared, not copied: nobody can change it, so a copy
// would differ only in identity. Whoever freezes an array in a row freezes
// its members too (search-index.ts freezes each event's index entries, and
// the row cache keeps multiEntry index values frozen): an event row carries
// about ten of them, which a copy on every cache hit would rebuild.

/** A copy of a row, or of what a query answered (rows, a count). */
export function copyOf<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    if (Object.isFrozen(value)) return value;
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyValue(value[i]);
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const member = copyValue((value as Record<string, unknown>)[key]);
    // A peer's JSON may hold an own "__proto__" member: assigning it would set the copy's prototype instead.
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: member,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else out[key] = member;
  }
  return out;
}
