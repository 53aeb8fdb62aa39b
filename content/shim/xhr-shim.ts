// Replaces XMLHttpRequest with a subclass that answers requests to the
// homeserver URL through the page channel (matrix-js-sdk uploads media with
// XHR for its progress events). Any other URL is the native XHR, untouched.
// Only asynchronous requests are supported on the homeserver URL.
import { isHomeserverUrl } from '../../src/platform/web/homeserver-url.ts';
import { isNullBodyStatus } from './fetch-shim.ts';
import type { PageChannel, ShimResponse } from './page-channel.ts';

/** The state of one XHR whose URL is the homeserver's. */
interface ShimState {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readyState: number;
  status: number;
  responseHeaders: Headers;
  response: unknown;
  responseText: string;
  aborter?: AbortController;
}

const LOADING = 3;
const DONE = 4;

export function installXhrShim(channel: PageChannel): void {
  const NativeXhr = window.XMLHttpRequest;

  class ShimXMLHttpRequest extends NativeXhr {
    #shim: ShimState | undefined;

    override open(
      method: string,
      url: string | URL,
      async = true,
      user?: string | null,
      password?: string | null,
    ) {
      const href = String(url);
      if (!isHomeserverUrl(href, window.location.href)) {
        this.#shim = undefined;
        return super.open(method, url, async, user, password);
      }
      if (!async) throw new DOMException('synchronous requests are not supported here', 'InvalidAccessError');
      this.#shim = {
        method: method.toUpperCase(),
        url: new URL(href, window.location.href).href,
        headers: new Headers(),
        readyState: 1,
        status: 0,
        responseHeaders: new Headers(),
        response: null,
        responseText: '',
      };
      this.#fire('readystatechange');
    }

    override setRequestHeader(name: string, value: string) {
      if (this.#shim) this.#shim.headers.append(name, value);
      else super.setRequestHeader(name, value);
    }

    override send(body?: Document | XMLHttpRequestBodyInit | null) {
      const shim = this.#shim;
      if (!shim) return super.send(body);
      const hasBody = shim.method !== 'GET' && shim.method !== 'HEAD' && body != null;
      const request = new Request(shim.url, {
        method: shim.method,
        headers: shim.headers,
        body: hasBody ? (body as BodyInit) : null,
      });
      shim.aborter = new AbortController();
      if (this.timeout > 0)
        setTimeout(() => shim.aborter?.abort(new DOMException('timeout', 'TimeoutError')), this.timeout);
      this.#fire('loadstart');
      void this.#run(channel, request, shim);
    }

    async #run(channel: PageChannel, request: Request, shim: ShimState): Promise<void> {
      try {
        const buffer = request.body ? await request.arrayBuffer() : null;
        const res = await channel.request(
          {
            method: request.method,
            url: request.url,
            headers: Object.fromEntries(request.headers),
            body: buffer,
          },
          shim.aborter?.signal,
        );
        if (this.#shim !== shim) {
          // Opened again meanwhile: nobody wants this answer any more.
          if (res.body instanceof ReadableStream) void res.body.cancel();
          return;
        }
        shim.status = res.status;
        shim.responseHeaders = new Headers(res.headers);
        shim.readyState = 2;
        this.#fire('readystatechange');
        if (this.#replaced(shim)) return;
        const chunks = isNullBodyStatus(res.status) ? [] : await this.#receiveBody(res.body, shim);
        if (!chunks) return;
        const progress = { loaded: byteCount(chunks), total: contentLength(shim.responseHeaders) };
        await this.#readBody(new Response(new Blob(chunks), { headers: shim.responseHeaders }), shim);
        if (this.#replaced(shim)) return;
        shim.readyState = DONE;
        this.#fire('readystatechange');
        this.#fire('load', progress);
        this.#fire('loadend', progress);
      } catch (err) {
        if (this.#shim !== shim) return;
        shim.readyState = DONE;
        shim.status = 0;
        this.#fire('readystatechange');
        const name = (err as { name?: string }).name;
        this.#fire(name === 'TimeoutError' ? 'timeout' : name === 'AbortError' ? 'abort' : 'error');
        this.#fire('loadend');
      }
    }

    /**
     * The body's chunks as they stream in, with a `progress` event for each
     * (matrix-js-sdk shows download progress from these); undefined if the
     * XHR was opened again meanwhile. Rejects as the stream errors: a network
     * error, or the abort or timeout reason.
     */
    async #receiveBody(
      body: ShimResponse['body'],
      shim: ShimState,
    ): Promise<Uint8Array<ArrayBuffer>[] | undefined> {
      if (body instanceof ArrayBuffer) {
        // Came whole: one progress event, as for a body of one chunk.
        if (body.byteLength === 0) return [];
        shim.readyState = LOADING;
        this.#fire('readystatechange');
        if (this.#replaced(shim)) return undefined;
        this.#fire('progress', { loaded: body.byteLength, total: contentLength(shim.responseHeaders) });
        if (this.#replaced(shim)) return undefined;
        return [new Uint8Array(body)];
      }
      const reader = body.getReader();
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      const total = contentLength(shim.responseHeaders);
      let loaded = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (this.#shim !== shim) {
          void reader.cancel();
          return undefined;
        }
        if (done) return chunks;
        chunks.push(value);
        loaded += value.byteLength;
        shim.readyState = LOADING;
        this.#fire('readystatechange');
        this.#fire('progress', { loaded, total });
      }
    }

    async #readBody(response: Response, shim: ShimState): Promise<void> {
      const type = this.responseType;
      if (type === 'arraybuffer') shim.response = await response.arrayBuffer();
      else if (type === 'blob') shim.response = await response.blob();
      else if (type === 'json') {
        const text = await response.text();
        try {
          shim.response = JSON.parse(text);
        } catch {
          shim.response = null;
        }
      } else if (type === 'document') shim.response = null;
      else {
        shim.responseText = await response.text();
        shim.response = shim.responseText;
      }
    }

    /**
     * Whether the page's handler of the event just fired replaced this
     * request (opened again: returns true, nothing more is fired for it) or
     * aborted it (throws the abort's reason, so the request ends with
     * `abort`); false when it goes on. A whole body is handled without a
     * pause in which the abort could reach it otherwise.
     */
    #replaced(shim: ShimState): boolean {
      if (this.#shim !== shim) return true;
      shim.aborter?.signal.throwIfAborted();
      return false;
    }

    override abort() {
      if (!this.#shim) return super.abort();
      this.#shim.aborter?.abort(new DOMException('aborted', 'AbortError'));
    }

    override getResponseHeader(name: string): string | null {
      if (!this.#shim) return super.getResponseHeader(name);
      return this.#shim.readyState >= 2 ? this.#shim.responseHeaders.get(name) : null;
    }

    override getAllResponseHeaders(): string {
      if (!this.#shim) return super.getAllResponseHeaders();
      if (this.#shim.readyState < 2) return '';
      return [...this.#shim.responseHeaders].map(([name, value]) => `${name}: ${value}\r\n`).join('');
    }

    override get readyState(): number {
      return this.#shim ? this.#shim.readyState : super.readyState;
    }
    override get status(): number {
      return this.#shim ? this.#shim.status : super.status;
    }
    override get statusText(): string {
      return this.#shim ? '' : super.statusText;
    }
    override get response(): unknown {
      return this.#shim ? this.#shim.response : super.response;
    }
    override get responseText(): string {
      return this.#shim ? this.#shim.responseText : super.responseText;
    }
    override get responseURL(): string {
      return this.#shim ? (this.#shim.readyState === DONE ? this.#shim.url : '') : super.responseURL;
    }
    override get responseXML(): Document | null {
      return this.#shim ? null : super.responseXML;
    }

    #fire(type: string, progress?: { loaded: number; total: number }): void {
      const init = progress && { ...progress, lengthComputable: progress.total > 0 };
      const event = type === 'readystatechange' ? new Event(type) : new ProgressEvent(type, init);
      this.dispatchEvent(event);
    }
  }

  window.XMLHttpRequest = ShimXMLHttpRequest;
}

function byteCount(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
}

/** The Content-Length the response declares, or 0 (progress events then say the total is unknown). */
function contentLength(headers: Headers): number {
  const length = Number(headers.get('content-length'));
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}
