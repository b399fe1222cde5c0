// The load generator's HTTP/1.1 client: keep-alive connections over `net`, one request in flight
// per connection, requests serialised to bytes before the clock starts. Small on purpose: the
// client shares the machine's two cores with the platform it measures, so every microsecond it
// spends is one the platform does not get.

/** One response off the wire. */
export interface WireResponse {
  status: number;
  body: string;
  /** The server asked to close the connection after this response. */
  close: boolean;
}

/** A request as the bytes to write: request line, headers (with Content-Length) and body. */
export function encodeRequest(
  method: 'GET' | 'POST',
  host: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${name} holds a line break`);
    head += `${name}: ${value}\r\n`;
  }
  const payload = Buffer.from(body, 'utf8');
  if (method === 'POST' || payload.length > 0) head += `content-length: ${payload.length}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);
}

export class WireProtocolError extends Error {}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Reads HTTP/1.1 responses from a byte stream: a status line, headers, then a body framed by
 * Content-Length or chunked transfer coding (or, with neither, by the end of the connection).
 * Pure: feed it chunks, it returns the responses completed so far.
 */
export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** The head of the response being read, once its headers are complete. */
  private head: { status: number; length: number | 'chunked' | 'until-close'; close: boolean } | undefined;
  private chunks: Buffer[] = [];

  feed(data: Buffer): WireResponse[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    const out: WireResponse[] = [];
    for (;;) {
      const response = this.next();
      if (response === undefined) return out;
      out.push(response);
    }
  }

  /** The connection ended: a body framed by the close is complete now; anything else half-read is an error. */
  end(): WireResponse | undefined {
    if (this.head?.length === 'until-close') {
      const response = { status: this.head.status, body: this.buffer.toString('utf8'), close: true };
      this.reset();
      return response;
    }
    if (this.head !== undefined || this.buffer.length > 0) throw new WireProtocolError('the connection closed mid-response');
    return undefined;
  }

  private reset(): void {
    this.head = undefined;
    this.chunks = [];
    this.buffer = Buffer.alloc(0);
  }

  private next(): WireResponse | undefined {
    if (this.head === undefined && !this.readHead()) return undefined;
    const head = this.head!;
    if (head.length === 'until-close') return undefined;
    if (head.length === 'chunked') return this.readChunked(head);
    if (this.buffer.length < head.length) return undefined;
    const body = this.buffer.toString('utf8', 0, head.length);
    this.buffer = this.buffer.subarray(head.length);
    this.head = undefined;
    return { status: head.status, body, close: head.close };
  }

  private readHead(): boolean {
    const end = this.buffer.indexOf(HEADER_END);
    if (end === -1) {
      if (this.buffer.length > MAX_HEAD_BYTES) throw new WireProtocolError('response headers too large');
      return false;
    }
    const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
    this.buffer = this.buffer.subarray(end + HEADER_END.length);
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) throw new WireProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    let length: number | 'chunked' | 'until-close' = 'until-close';
    let close = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0) throw new WireProtocolError(`bad content-length ${JSON.stringify(value)}`);
        if (length !== 'chunked') length = n;
      } else if (name === 'transfer-encoding' && value.toLowerCase().includes('chunked')) {
        length = 'chunked';
      } else if (name === 'connection' && value.toLowerCase() === 'close') {
        close = true;
      }
    }
    const status = Number(statusLine[1]);
    // 1xx, 204 and 304 carry no body whatever the headers say.
    if (status < 200 || status === 204 || status === 304) length = 0;
    this.head = { status, length, close: close || length === 'until-close' };
    return true;
  }

  private readChunked(head: { status: number; close: boolean }): WireResponse | undefined {
    for (;;) {
      const lineEnd = this.buffer.indexOf(CRLF);
      if (lineEnd === -1) return undefined;
      const size = parseInt(this.buffer.toString('latin1', 0, lineEnd).split(';')[0]!.trim(), 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new WireProtocolError('bad chunk size');
      if (size === 0) {
        // The last chunk, then (no trailers from our servers) the final CRLF.
        const trailerEnd = this.buffer.indexOf(HEADER_END, lineEnd);
        if (trailerEnd === -1) return undefined;
        this.buffer = this.buffer.subarray(trailerEnd + HEADER_END.length);
        const body = Buffer.concat(this.chunks).toString('utf8');
        this.head = undefined;
        this.chunks = [];
        return { status: head.status, body, close: head.close };
      }
      const start = lineEnd + CRLF.length;
      if (this.buffer.length < start + size + CRLF.length) return undefined;
      this.chunks.push(this.buffer.subarray(start, start + size));
      this.buffer = this.buffer.subarray(start + size + CRLF.length);
    }
  }
}
