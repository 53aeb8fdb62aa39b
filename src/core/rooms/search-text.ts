// The words of the server-side search (spec: "Server Side Search"): which
// events are searchable, and how text becomes index terms. Only the three
// keys the spec names are searched (content.body of m.room.message,
// content.name of m.room.name, content.topic of m.room.topic); encrypted
// events (m.room.encrypted) carry none, and the server could not read them.
//
// A term is a run of letters and digits, lowercased, in compatibility
// decomposition with combining marks dropped ("Café" and "cafe" meet). Han,
// Hiragana and Katakana are written without spaces, so each of their
// characters is a term of its own. Query and index cut terms alike at
// MAX_TERM_LENGTH; everything else (punctuation, emoji, quotes, `*`, `-`,
// `"`, FTS operators' symbols) separates terms and is never an operator.
import type { RoomEvent } from '../protocol.ts';

/** The spec's search keys, the event type each applies to, and the short code stored in the index. */
export const SEARCH_KEYS = {
  'content.body': { type: 'm.room.message', field: 'body', code: 'b' },
  'content.name': { type: 'm.room.name', field: 'name', code: 'n' },
  'content.topic': { type: 'm.room.topic', field: 'topic', code: 't' },
} as const;

export type SearchKey = keyof typeof SEARCH_KEYS;
export type SearchKeyCode = (typeof SEARCH_KEYS)[SearchKey]['code'];

export const MAX_TERM_LENGTH = 64;
/** Distinct terms one event adds to the index at most (a 64 KiB event holds about 10,000 words). */
export const MAX_TERMS_PER_EVENT = 1024;

const RUN = /[\p{L}\p{N}]+/gu;
const UNSPACED = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
const UNSPACED_SPLIT =
  /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]|[^\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]+/gu;
const MARKS = /\p{M}+/gu;

/** A character beyond ASCII. Text without one: NFKD leaves it as it is, it has no marks and no Han or Kana. */
const BEYOND_ASCII = /[\u0080-\uffff]/;
/** In ASCII, \p{L} is A-Z and a-z, \p{N} is 0-9 (lower case by then). */
const ASCII_RUN = /[a-z0-9]+/g;

/** The terms of a text in order, repeats kept. */
export function terms(text: string): string[] {
  // Most messages are ASCII: the same terms without NFKD, the marks and the
  // Unicode property classes (1.2-1.9 -> 0.6-1.0 µs a short message, Node
  // 24.21; every received message is indexed, issue 13).
  if (BEYOND_ASCII.test(text)) return unicodeTerms(text);
  const out = text.toLowerCase().match(ASCII_RUN) ?? [];
  for (let i = 0; i < out.length; i++)
    if (out[i]!.length > MAX_TERM_LENGTH) out[i] = out[i]!.slice(0, MAX_TERM_LENGTH);
  return out;
}

/** terms for any text (exported for tests, which check terms against it on ASCII). */
export function unicodeTerms(text: string): string[] {
  const folded = text.normalize('NFKD').replace(MARKS, '').toLowerCase();
  const out: string[] = [];
  for (const run of folded.match(RUN) ?? []) {
    const parts = UNSPACED.test(run) ? (run.match(UNSPACED_SPLIT) ?? []) : [run];
    for (const part of parts) out.push(part.slice(0, MAX_TERM_LENGTH));
  }
  return out;
}

/** The searchable text of an event and its key code, if it has any. */
export function searchableText(event: RoomEvent): { code: SearchKeyCode; text: string } | undefined {
  for (const key of Object.values(SEARCH_KEYS)) {
    if (event.type !== key.type) continue;
    const text = event.content[key.field];
    return typeof text === 'string' && text !== '' ? { code: key.code, text } : undefined;
  }
  return undefined;
}

/** Term → how often it occurs, for the first MAX_TERMS_PER_EVENT distinct terms. */
export function termCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const term of terms(text)) {
    const seen = counts.get(term);
    if (seen !== undefined) counts.set(term, seen + 1);
    else if (counts.size < MAX_TERMS_PER_EVENT) counts.set(term, 1);
  }
  return counts;
}
