// HTTP Range on downloads (RFC 9110 §14), which browsers' <video> and
// <audio> players use to seek and to read a file's end first: one `bytes=`
// range is answered 206 with Content-Range; a range past the end of the file
// is 416 with `Content-Range: bytes */size`. Anything else (several ranges,
// other units, a malformed header) is ignored and the whole file is served,
// as the RFC lets a server do.

/** The first and last byte (inclusive) of a satisfiable range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/** The range `header` asks of a file of `size` bytes: a range, 'unsatisfiable', or undefined (serve it whole). */
export function byteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : RANGE.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last `last` bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
