// HTTP and WebSocket spoken by hand over `node:net`, so tests can send what no well-behaved client
// library would: malformed request lines, bad percent-encoding, hand-built WebSocket frames with
// wrong opcodes, lengths, masks and RSV bits. Loopback only.
import crypto from 'node:crypto';
import net from 'node:net';

export interface RawResponse {
  /** 0 when the server closed without a status line. */
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `request` as is and reads until the server closes or `timeoutMs` passes. `halfClose` ends
 * the sending side after the request, so a server keeping the connection alive still ends it.
 */
export function rawHttp(
  port: number,
  request: string | Buffer,
  { timeoutMs = 5_000, halfClose = false }: { timeoutMs?: number; halfClose?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: status ? Number(status[1]) : 0, head, body: end < 0 ? '' : text.slice(end + 4) });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server answered is an answer; one before it is a failure.
      if (chunks.length > 0 || error.code === 'ECONNRESET' || error.code === 'EPIPE') done();
      else reject(error);
    });
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

/** A request as a browser would send it, with `Connection: close` so the server ends the reply. */
export function httpGet(port: number, target: string, headers: Record<string, string> = {}): string {
  const all = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
  return (
    `GET ${target} HTTP/1.1\r\n` +
    Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n'
  );
}

export interface FrameSpec {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  /** RSV1..3 as the 3-bit value (4 = RSV1). */
  rsv?: number;
  /** Clients must mask; false sends an unmasked frame. */
  mask?: boolean;
  /** Announce this length instead of the payload's (a lie, or a huge one). */
  announcedLength?: number | bigint;
}

/** One WebSocket frame, built byte by byte (RFC 6455 §5.2). */
export function wsFrame(spec: FrameSpec): Buffer {
  const payload = spec.payload ?? Buffer.alloc(0);
  const length = BigInt(spec.announcedLength ?? payload.length);
  const masked = spec.mask ?? true;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f);
  let head: Buffer;
  if (length < 126n) head = Buffer.from([first, (masked ? 0x80 : 0) | Number(length)]);
  else if (length < 65_536n) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 126;
    head.writeUInt16BE(Number(length), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(length & 0xffff_ffff_ffff_ffffn, 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([head, key, body]);
}

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** A WebSocket opened by hand: write raw bytes, read the server's frames. */
export class RawWebSocket {
  readonly frames: ServerFrame[] = [];
  /** Close code the server sent (1005 when its close frame had none); null until one came. */
  closeCode: number | null = null;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.parse();
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Upgrades `target` (e.g. `/api?token=…`); rejects with the status line when refused. */
  static open(
    port: number,
    target: string,
    headers: Record<string, string> = {},
    timeoutMs = 5_000,
  ): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no answer to the upgrade request'));
      }, timeoutMs);
      const request =
        `GET ${target} HTTP/1.1\r\n` +
        Object.entries({
          Host: `127.0.0.1:${port}`,
          Upgrade: 'websocket',
          Connection: 'Upgrade',
          'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
          'Sec-WebSocket-Version': '13',
          ...headers,
        })
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n';
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', fail);
        const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        if (!/^HTTP\/1\.1 101 /.test(statusLine)) {
          socket.destroy();
          reject(new Error(statusLine));
          return;
        }
        const ws = new RawWebSocket(socket);
        const rest = head.subarray(end + 4);
        if (rest.length) socket.emit('data', rest);
        resolve(ws);
      };
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.on('data', onData);
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('closed without an answer to the upgrade request')));
      socket.write(request);
    });
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  sendText(text: string): void {
    this.send(wsFrame({ opcode: OPCODE.text, payload: Buffer.from(text) }));
  }

  /** The next text message from the server that `match` accepts (events and results interleave). */
  async nextText(match: (message: unknown) => boolean, timeoutMs = 10_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(
        (f) => f.opcode === OPCODE.text && match(JSON.parse(f.payload.toString('utf8'))),
      );
      if (i >= 0) return JSON.parse(this.frames.splice(i, 1)[0]!.payload.toString('utf8'));
      if (this.ended) throw new Error('connection closed before the expected message');
      if (!(await this.waitForData(deadline))) throw new Error('timed out waiting for a message');
    }
  }

  /** Resolves with the server's close code once it closed the connection (null if it only dropped it). */
  async closed(timeoutMs = 10_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (!(await this.waitForData(deadline))) throw new Error('timed out waiting for the server to close');
    }
    return this.closeCode;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private waitForData(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** Server frames are unmasked; messages the tests read are unfragmented. */
  private parse(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      const frame = { opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(offset, offset + length)) };
      this.buffer = b.subarray(offset + length);
      if (frame.opcode === OPCODE.close)
        this.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      this.frames.push(frame);
    }
  }
}
