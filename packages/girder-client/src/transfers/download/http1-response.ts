import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';

/** Size of each of the two receive slabs. */
const SLAB_BYTES = 1 << 20;
/** A slab with less free room than this is full: the kernel hands over up to 64 KiB a read. */
const MIN_ROOM = 64 * 1024;
/**
 * Room past the end of each slab, where reads land after the connection was paused: over TLS,
 * Node hands over every record it already decrypted (up to one socket read, 64 KiB, and a partial
 * record) even after a pause.
 */
const SPARE_BYTES = 256 * 1024;
/** Over TLS a record holds at most 16 KiB: a pause must leave at least this much spare room. */
const RECORD_BYTES = 16 * 1024;
/** The reader is woken at once when this much is waiting, else at the end of the loop's turn. */
const WAKE_BYTES = 512 * 1024;
/** The status line and headers must fit in this many bytes. */
const MAX_HEAD_BYTES = 64 * 1024;
/** An error answer's body is read up to this many bytes. */
const MAX_ERROR_BODY = 1 << 20;

/** The status and headers of an answer (header names lowercased). */
export interface Http1Head {
  /** HTTP status code. */
  status: number;
  /** Headers by lowercased name; repeated headers joined with `, `. */
  headers: Map<string, string>;
}

/**
 * The answer cannot be read by this transport (a transfer coding, an informational status): the
 * caller asks again through fetch. Thrown before any body byte was handed out.
 */
export class Http1Unsupported extends Error {
  override name = 'Http1Unsupported';
}

/** A connection that failed or closed before the answer was complete (resumable). */
class Http1ConnectionError extends Error {
  override name = 'Http1ConnectionError';
}

/** Options of {@link http1Get}. */
export interface Http1GetOptions {
  /** Request headers (values must not contain CR or LF). */
  headers: Record<string, string>;
  /** Destroys the connection; pending reads reject with its reason. */
  signal?: AbortSignal | undefined;
  /** Milliseconds allowed from connecting to the end of the headers; `false` for none. */
  timeoutMs: number | false;
}

/**
 * One HTTP/1.1 GET over a TCP connection (`http:`) or a TLS one (`https:`, checked against the
 * default certificate authorities), read with `onread` into two reused 1 MiB slabs: the kernel
 * (or OpenSSL) copies each packet once, into memory that stays warm, and nothing is allocated
 * per chunk. {@link Http1Response.read} lends views of the slabs; a view is valid until the next
 * `read()` (the connection keeps filling the other slab meanwhile). Bodies framed by
 * `Content-Length`, or by the end of the connection, are supported; anything else rejects with
 * {@link Http1Unsupported} so the caller can fall back to fetch.
 */
export class Http1Response {
  readonly #socket: Socket;
  /** Each slab has SPARE_BYTES past SLAB_BYTES: where the reads after a pause land. */
  readonly #slabs = [
    Buffer.allocUnsafe(SLAB_BYTES + SPARE_BYTES),
    Buffer.allocUnsafe(SLAB_BYTES + SPARE_BYTES),
  ];
  /** The slab the connection writes into, and how far it has written. */
  #fill = 0;
  #fillEnd = 0;
  /** Where each slab's data ends once the connection moved on to the other one. */
  readonly #ends = [0, 0];
  /** The slab the reader reads, and how far it has read. */
  #read = 0;
  #readPos = 0;
  /** The reader holds a view that ends at `#readPos`. */
  #lent = false;
  /** The connection is paused because both slabs hold unread bytes. */
  #stalled = false;
  #head: Http1Head | undefined;
  /** Body bytes still expected (`Infinity`: until the connection ends). */
  #remaining = Number.POSITIVE_INFINITY;
  #ended = false;
  #failed = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #wakeScheduled = false;
  readonly #headReady: PromiseWithResolvers<Http1Head> = Promise.withResolvers();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.destroy(this.#signal?.reason);

  /**
   * Connects and sends the request; prefer {@link http1Get}.
   * @param url - an `http:` or `https:` URL
   * @param options - headers, signal, timeout
   */
  constructor(url: URL, options: Http1GetOptions) {
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
    for (const [name, value] of Object.entries({ Accept: '*/*', ...options.headers })) {
      if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
        throw new TypeError(`headers.${name}: a header value cannot contain CR, LF or NUL`);
      }
      lines.push(`${name}: ${value}`);
    }
    this.#headReady.promise.catch(() => {});
    this.#signal = options.signal;
    const onread = {
      // Node asks for the next read's buffer right after each callback, so the fill position
      // only ever moves inside the callback.
      buffer: () =>
        (this.#slabs[this.#fill] as Buffer).subarray(
          this.#fillEnd,
          this.#stalled ? SLAB_BYTES + SPARE_BYTES : SLAB_BYTES,
        ),
      callback: (bytes: number) => this.#received(bytes),
    };
    this.#socket = connectTo(url, onread);
    this.#socket.on('error', (error) => {
      if (!this.#ended) this.#fail(new Http1ConnectionError(error.message, { cause: error }));
    });
    this.#socket.on('end', () => this.#closed());
    this.#socket.on('close', () => this.#closed());
    this.#socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (options.timeoutMs !== false) {
      const ms = options.timeoutMs;
      this.#timer = setTimeout(() => {
        this.destroy(new Http1ConnectionError(`no answer within the ${ms} ms timeout`));
      }, ms);
    }
    if (this.#signal?.aborted) this.destroy(this.#signal.reason);
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Settles with the status and headers, or rejects when the connection fails first. */
  get head(): Promise<Http1Head> {
    return this.#headReady.promise;
  }

  /**
   * The next body bytes, as a view of a reused slab valid until the next call; `null` at the end.
   * @returns a lent view, or null once the body is complete
   * @throws the connection's failure, or the abort reason
   */
  async read(): Promise<Buffer | null> {
    this.#lent = false;
    for (;;) {
      if (this.#failed) throw this.#error;
      const end = this.#read === this.#fill ? this.#fillEnd : (this.#ends[this.#read] as number);
      if (this.#readPos < end) {
        const view = (this.#slabs[this.#read] as Buffer).subarray(this.#readPos, end);
        this.#readPos = end;
        this.#lent = true;
        return view;
      }
      if (this.#read !== this.#fill) {
        // This slab is used up: read on in the other one, and give this one back to the connection.
        this.#read = this.#fill;
        this.#readPos = 0;
        if (this.#stalled) {
          this.#stalled = false;
          this.#socket.resume();
        }
        continue;
      }
      if (this.#ended) return null;
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#wake = resolve;
      await promise;
    }
  }

  /**
   * Reads a whole (small) body, e.g. an error answer.
   * @returns the body bytes, at most 1 MiB
   */
  async text(): Promise<string> {
    const parts: Buffer[] = [];
    let size = 0;
    for (let view = await this.read(); view && size < MAX_ERROR_BODY; view = await this.read()) {
      parts.push(Buffer.from(view));
      size += view.length;
    }
    this.destroy();
    return Buffer.concat(parts).toString('utf8');
  }

  /**
   * Closes the connection; later reads reject with `reason` (they end quietly without one once
   * the body was complete).
   * @param reason - why
   */
  destroy(reason?: unknown): void {
    if (reason !== undefined) this.#fail(reason);
    else if (!this.#ended) this.#fail(new Http1ConnectionError('the connection was closed'));
    this.#release();
  }

  #release(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
  }

  #received(bytes: number): boolean {
    const start = this.#fillEnd;
    this.#fillEnd += bytes;
    if (this.#head === undefined) {
      if (!this.#parseHead(start)) return !this.#failed;
    } else if (this.#remaining !== Number.POSITIVE_INFINITY) {
      this.#countBody(bytes);
    }
    if (this.#stalled && SLAB_BYTES + SPARE_BYTES - this.#fillEnd < RECORD_BYTES) {
      // Cannot happen with Node's TLS as it is; were it to, a resume beats overwriting bytes.
      this.#fail(new Http1ConnectionError('the connection sent on after it was paused'));
      return false;
    }
    const room = this.#makeRoom();
    // Wake the reader once per turn of the event loop (libuv reads a socket up to 32 times per
    // turn), or at once when much is waiting: fewer, larger chunks.
    const unread = this.#read === this.#fill ? this.#fillEnd - this.#readPos : WAKE_BYTES;
    if (unread >= WAKE_BYTES || this.#stalled || this.#ended) this.#wakeReader();
    else this.#wakeSoon();
    return room;
  }

  #wakeSoon(): void {
    if (this.#wake && !this.#wakeScheduled) {
      this.#wakeScheduled = true;
      setImmediate(() => {
        this.#wakeScheduled = false;
        this.#wakeReader();
      });
    }
  }

  /** Looks for the end of the headers; returns whether they are complete. */
  #parseHead(start: number): boolean {
    const slab = this.#slabs[this.#fill] as Buffer;
    const end = slab.subarray(0, this.#fillEnd).indexOf('\r\n\r\n', Math.max(0, start - 3), 'latin1');
    if (end === -1) {
      if (this.#fillEnd > MAX_HEAD_BYTES)
        this.#fail(new Http1ConnectionError('the answer headers are too long'));
      return false;
    }
    const lines = slab.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!status) {
      this.#fail(
        new Http1ConnectionError(`not an HTTP/1.1 answer: ${JSON.stringify(lines[0]?.slice(0, 40))}`),
      );
      return false;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const head: Http1Head = { status: Number(status[1]), headers };
    if (head.status < 200 || headers.has('transfer-encoding')) {
      this.#fail(
        new Http1Unsupported(
          `status ${head.status} with transfer-encoding ${headers.get('transfer-encoding')}`,
        ),
      );
      return false;
    }
    const length = headers.get('content-length');
    if (length !== undefined) {
      if (!/^\d+$/.test(length)) {
        this.#fail(new Http1ConnectionError(`invalid Content-Length ${JSON.stringify(length)}`));
        return false;
      }
      this.#remaining = Number(length);
    }
    clearTimeout(this.#timer);
    this.#head = head;
    this.#readPos = end + 4;
    this.#countBody(this.#fillEnd - this.#readPos);
    this.#headReady.resolve(head);
    return true;
  }

  #countBody(bytes: number): void {
    if (bytes >= this.#remaining) {
      // Anything past Content-Length is not part of this body.
      this.#fillEnd -= bytes - this.#remaining;
      this.#remaining = 0;
      this.#ended = true;
      this.#release();
    } else {
      this.#remaining -= bytes;
    }
  }

  /**
   * Keeps at least MIN_ROOM free to receive into; returns false to pause the connection while the
   * reader still holds the other slab (the read after the pause lands in the spare bytes).
   */
  #makeRoom(): boolean {
    if (SLAB_BYTES - this.#fillEnd >= MIN_ROOM || this.#ended) return true;
    if (this.#read !== this.#fill) {
      this.#stalled = true;
      return false;
    }
    if (!this.#lent && this.#readPos === this.#fillEnd) {
      // Everything was read: receive at the start of the same slab again (it stays in cache).
      this.#readPos = 0;
      this.#fillEnd = 0;
    } else {
      this.#switchFill();
    }
    return true;
  }

  #switchFill(): void {
    this.#ends[this.#fill] = this.#fillEnd;
    this.#fill = 1 - this.#fill;
    this.#fillEnd = 0;
  }

  #closed(): void {
    if (this.#ended || this.#failed) return;
    if (this.#head === undefined) {
      this.#fail(new Http1ConnectionError('the connection closed before an answer'));
    } else if (this.#remaining !== Number.POSITIVE_INFINITY) {
      this.#fail(
        new Http1ConnectionError(`the connection closed with ${this.#remaining} bytes still to come`),
      );
    } else {
      this.#ended = true;
      this.#wakeReader();
    }
  }

  /** Records the first failure: pending and later reads reject with it. */
  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#headReady.reject(error);
    this.#release();
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** What `onread` needs: the buffer of the next read, and what to do once bytes landed in it. */
interface OnRead {
  buffer: () => Buffer;
  callback: (bytes: number) => boolean;
}

/**
 * Opens a TCP connection for `http:`, a TLS one for `https:` (HTTP/1.1 offered by ALPN, the
 * server name sent unless the host is an IP address), reading with `onread`.
 */
function connectTo(url: URL, onread: OnRead): Socket {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'https:') {
    return tlsConnect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      ALPNProtocols: ['http/1.1'],
      noDelay: true,
      onread,
    } as ConnectionOptions);
  }
  return tcpConnect({ host, port: Number(url.port || 80), noDelay: true, onread });
}

/**
 * Sends a GET and waits for the answer's headers.
 * @param url - an `http:` or `https:` URL
 * @param options - headers, signal, timeout
 * @returns the response; read its body with {@link Http1Response.read}, or `destroy()` it
 * @throws {@link Http1Unsupported}, {@link Http1ConnectionError}, the abort reason
 */
export async function http1Get(url: URL, options: Http1GetOptions): Promise<Http1Response> {
  const response = new Http1Response(url, options);
  await response.head;
  return response;
}
