import { encodeRequest, ResponseReader, WireProtocolError } from './wire';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('encodeRequest', () => {
  it('writes the request line, host, keep-alive, the headers and a byte-exact content-length', () => {
    const wire = encodeRequest('POST', '127.0.0.1:4000', '/graphql', { authorization: 'Bearer t' }, '{"q":"é"}');
    expect(wire.toString('utf8')).toBe(
      'POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:4000\r\nconnection: keep-alive\r\nauthorization: Bearer t\r\ncontent-length: 10\r\n\r\n{"q":"é"}',
    );
  });

  it('sends no body framing on a GET and refuses a header that would split the request', () => {
    expect(encodeRequest('GET', 'h', '/healthz', {}).toString()).toBe(
      'GET /healthz HTTP/1.1\r\nhost: h\r\nconnection: keep-alive\r\n\r\n',
    );
    expect(() => encodeRequest('GET', 'h', '/', { x: 'a\r\nevil: 1' })).toThrow(/line break/);
  });
});

describe('ResponseReader', () => {
  it('reads content-length bodies split anywhere, and several responses in one chunk', () => {
    const wire =
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 429 Too Many\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno';
    for (let cut = 1; cut < wire.length; cut++) {
      const reader = new ResponseReader();
      const got = [...reader.feed(bytes(wire.slice(0, cut))), ...reader.feed(bytes(wire.slice(cut)))];
      expect(got).toEqual([
        { status: 200, body: 'hello', close: false },
        { status: 429, body: 'no', close: true },
      ]);
    }
  });

  it('reads chunked bodies, byte by byte too', () => {
    const wire = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"a"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n';
    const reader = new ResponseReader();
    const got = [];
    for (const ch of wire) got.push(...reader.feed(bytes(ch)));
    expect(got).toEqual([{ status: 200, body: '{"a":1}', close: false }]);
  });

  it('keeps multi-byte characters whole when a chunk boundary cuts through them', () => {
    const body = Buffer.from('{"name":"Zoë"}', 'utf8');
    const head = bytes(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
    const all = Buffer.concat([head, body]);
    const reader = new ResponseReader();
    const cut = all.indexOf(0xc3) + 1;
    expect([...reader.feed(all.subarray(0, cut)), ...reader.feed(all.subarray(cut))]).toEqual([
      { status: 200, body: '{"name":"Zoë"}', close: false },
    ]);
  });

  it('frames a body without length by the end of the connection, and knows 204 has none', () => {
    const reader = new ResponseReader();
    expect(reader.feed(bytes('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.0 200 OK\r\n\r\npartial'))).toEqual([
      { status: 204, body: '', close: false },
    ]);
    expect(reader.end()).toEqual({ status: 200, body: 'partial', close: true });
  });

  it('refuses what is not HTTP, a bad length, and a connection cut mid-response', () => {
    expect(() => new ResponseReader().feed(bytes('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(WireProtocolError);
    expect(() => new ResponseReader().feed(bytes('HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'))).toThrow(/content-length/);
    const reader = new ResponseReader();
    reader.feed(bytes('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
    expect(() => reader.end()).toThrow(/mid-response/);
  });
});
