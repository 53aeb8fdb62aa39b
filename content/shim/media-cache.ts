// The homeserver's media as `blob:` URLs of the page, for the elements that
// load it themselves (media-elements.ts). One download per URL however many
// elements show it (an avatar appears beside every message of its sender), as
// the browser's own image cache would do for a URL it could fetch; bounded by
// bytes, least recently used first out.

/** What the cache keeps at most, in bytes (a big image opened full size stays in, with room for thumbnails). */
export const MEDIA_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  readonly url: Promise<string>;
  /** Set once loaded: the object URL to revoke and the bytes it holds. */
  loaded?: { readonly objectUrl: string; readonly size: number };
}

export class MediaCache {
  readonly #load: (url: string) => Promise<Blob>;
  readonly #maxBytes: number;
  /** In use order: the first is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(load: (url: string) => Promise<Blob>, maxBytes = MEDIA_CACHE_BYTES) {
    this.#load = load;
    this.#maxBytes = maxBytes;
  }

  /** A `blob:` URL with the bytes of `url`; rejects if they could not be had (and a later call tries again). */
  objectUrl(url: string): Promise<string> {
    const hit = this.#entries.get(url);
    if (hit) {
      this.#entries.delete(url);
      this.#entries.set(url, hit);
      return hit.url;
    }
    const entry: Entry = {
      url: this.#load(url).then(
        (blob) => this.#store(url, entry, blob),
        (err: unknown) => {
          if (this.#entries.get(url) === entry) this.#entries.delete(url);
          throw err;
        },
      ),
    };
    this.#entries.set(url, entry);
    return entry.url;
  }

  #store(url: string, entry: Entry, blob: Blob): string {
    const objectUrl = URL.createObjectURL(blob);
    entry.loaded = { objectUrl, size: blob.size };
    this.#bytes += blob.size;
    this.#evict(url);
    return objectUrl;
  }

  /**
   * Forgets the least recently used loaded entries until the cache fits.
   * An `<img>` that already shows a revoked URL keeps its picture; a new
   * element asking for that media downloads it again.
   */
  #evict(keep: string): void {
    for (const [url, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) return;
      if (url === keep || !entry.loaded) continue;
      this.#entries.delete(url);
      this.#bytes -= entry.loaded.size;
      URL.revokeObjectURL(entry.loaded.objectUrl);
    }
  }
}
