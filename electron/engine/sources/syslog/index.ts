// Syslog receiver: UDP datagrams (one message each) and TCP or TLS streams (RFC 6587 octet counting
// or one message a line, per connection), decoded as syslog (RFC 5424 and 3164, decode/logs/) or a
// chosen line format; the sender's address and transport are kept in each record's fields.
//
// Back-pressure: UDP has none, so while the engine's pending work is at its bound datagrams are
// shed and counted (policy `shed`); TCP senders are paused (their sockets are not read), so the
// kernel's windows and the sender's queue wait (policy `pause`).
// Bound beyond loopback only when the options say so explicitly (`allowRemoteSenders`), and the
// status warns while it is.
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { SyslogOptions } from '../../../../shared/schemas';
import { isLoopbackAddress, SyslogOptions as SyslogOptionsSchema } from '../../../../shared/schemas';
import { setField, type Decoder, type DecodeOutput } from '../../decode/decoder';
import { FrameDecoder } from '../../decode/registry';
import { SyslogStreamFramer } from '../../ingest/framers/syslog-stream';
import type { FrameSinks } from '../../ingest/framers/framer';
import type { IngestStage } from '../../ingest/stage';
import { secretEnvName } from '../../secrets';
import type { Source, SourceContext, SourceFactory } from '../source';
import { lineDecoders } from '../tail';

/** Where the message being decoded came from; set around each frame (decoding is synchronous). */
interface Sender {
  transport: 'udp' | 'tcp' | 'tls';
  address: string;
  port: number;
}

/** `decoder` with the sender added to every record's fields. */
function withSender(decoder: Decoder, sender: () => Sender | null): Decoder {
  return {
    ...decoder,
    decode(frame, out, memo) {
      const from = sender();
      const wrapped: DecodeOutput = {
        sample: (path, value, ts, unit) => out.sample(path, value, ts, unit),
        // The decoder's fields object is this record's own: added to in place (a spread copies a
        // structured-data-keyed object slowly, 2 s of 10 in bench.js syslog).
        record: (severity, message, fields, ts) => {
          if (!from) return out.record(severity, message, fields, ts);
          const all = fields ?? {};
          setField(all, 'sender', from.address);
          setField(all, 'senderPort', from.port);
          setField(all, 'transport', from.transport);
          out.record(severity, message, all, ts);
        },
        ...(out.clock ? { clock: (note) => out.clock!(note) } : {}),
      };
      return decoder.decode(frame, wrapped, memo);
    },
  };
}

class SyslogSource implements Source {
  private stage: IngestStage | null = null;
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private paused = false;
  private sender: Sender | null = null;
  private connections = 0;

  constructor(
    private readonly options: SyslogOptions,
    private readonly ctx: SourceContext,
  ) {}

  async start(): Promise<void> {
    const o = this.options;
    const { candidates, forced } = lineDecoders(o.decoder);
    const decoder = new FrameDecoder(
      this.ctx.sourceId,
      {
        channel: (path, unit) => this.ctx.channel(path, unit),
        quarantine: (raw, reason, where) => this.ctx.quarantine(raw, reason, where),
        clockNotice: (_key, message) => this.ctx.notice('warn', `${this.ctx.sourceId}: ${message}`),
      },
      {
        candidates: candidates.map((d) => withSender(d, () => this.sender)),
        choose: () => forced,
        channelPath: (_key, path) => path || 'value',
        memoDefaults: { timeZone: o.timeZone, futureToleranceMs: o.futureToleranceSeconds * 1000 },
      },
    );
    this.stage = this.ctx.ingest({
      decoder,
      policy: 'pause',
      pause: () => this.pauseSockets(true),
      resume: () => this.pauseSockets(false),
    });
    this.ctx.setState('starting');
    if (o.udpPort !== null) await this.listenUdp(o.udpPort);
    if (o.tcpPort !== null) await this.listenTcp(o.tcpPort);
    this.ctx.setState('connected');
    this.describe();
  }

  /** The ports bound (0 in the options picks a free one). */
  ports(): { udp: number | null; tcp: number | null } {
    const tcp = this.tcp?.address();
    return {
      udp: this.udp ? this.udp.address().port : null,
      tcp: tcp && typeof tcp === 'object' ? tcp.port : null,
    };
  }

  private describe(): void {
    const o = this.options;
    const { udp, tcp } = this.ports();
    const parts = [
      ...(udp !== null ? [`udp://${o.host}:${udp}`] : []),
      ...(tcp !== null ? [`${o.tls ? 'tls' : 'tcp'}://${o.host}:${tcp}`] : []),
    ];
    const warnings = isLoopbackAddress(o.host)
      ? []
      : [
          `accepting syslog from the network on ${o.host}: anyone who can reach ${parts.join(', ')} can write logs into this workspace`,
          ...(udp !== null || !o.tls
            ? ['messages from the network arrive in clear text, with no proof of who sent them']
            : []),
        ];
    this.ctx.describe(
      `${parts.join(', ')} (${this.connections} connection${this.connections === 1 ? '' : 's'})`,
      warnings,
    );
  }

  private async listenUdp(port: number): Promise<void> {
    const socket = dgram.createSocket({ type: net.isIPv6(this.options.host) ? 'udp6' : 'udp4' });
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.on('error', (error) =>
      this.ctx.setState('error', `UDP ${this.options.host}:${port}: ${error.message}`),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, this.options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.udp = socket;
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.ctx.received(1);
    if (!this.stage!.admit('shed')) return; // UDP cannot be slowed down: shed and counted
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    if (end === 0) return;
    const where = `udp ${rinfo.address}:${rinfo.port}`;
    if (end > this.options.maxMessageBytes) {
      this.stage!.addQuarantine(
        new Uint8Array(msg.subarray(0, end)),
        `a message of ${end} bytes, over maxMessageBytes (${this.options.maxMessageBytes})`,
        where,
      );
      return;
    }
    this.decode(new Uint8Array(msg.buffer, msg.byteOffset, end), {
      transport: 'udp',
      address: rinfo.address,
      port: rinfo.port,
    });
  }

  private decode(bytes: Uint8Array, sender: Sender): void {
    this.sender = sender;
    try {
      this.stage!.pushFrame({ rx: this.ctx.now(), key: sender.transport, bytes });
    } finally {
      this.sender = null;
    }
  }

  private async listenTcp(port: number): Promise<void> {
    const o = this.options;
    let server: net.Server;
    if (o.tls) {
      const passphrase = o.tls.keyPassphrase === undefined ? undefined : this.ctx.secret(o.tls.keyPassphrase);
      if (o.tls.keyPassphrase !== undefined && passphrase === undefined)
        throw new Error(
          `key passphrase secret "${o.tls.keyPassphrase}" is not set: enter it in the source form, or set ${secretEnvName(o.tls.keyPassphrase)}`,
        );
      const read = (what: string, file: string) =>
        fs.readFile(file).catch((error: Error) => {
          throw new Error(`options.tls.${what} ${file}: ${error.message}`);
        });
      const [cert, key, ca] = await Promise.all([
        read('certFile', o.tls.certFile),
        read('keyFile', o.tls.keyFile),
        o.tls.caFile ? read('caFile', o.tls.caFile) : undefined,
      ]);
      server = tls.createServer(
        { cert, key, passphrase, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined },
        (socket) => this.onConnection(socket, 'tls'),
      );
      server.on('tlsClientError', () => undefined); // a failed handshake is that sender's problem
    } else server = net.createServer((socket) => this.onConnection(socket, 'tcp'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.ctx.setState('error', `TCP ${o.host}:${port}: ${error.message}`));
    this.tcp = server;
  }

  private onConnection(socket: net.Socket, transport: 'tcp' | 'tls'): void {
    const sender: Sender = { transport, address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const where = `${transport} ${sender.address}:${sender.port}`;
    const framer = new SyslogStreamFramer(
      this.options.tls ? 'octet-counted' : this.options.framing,
      this.options.maxMessageBytes,
    );
    const sinks: FrameSinks = {
      frame: (bytes) => {
        this.ctx.received(1);
        this.decode(bytes, sender);
      },
      bad: (bytes, reason) => this.stage!.addQuarantine(new Uint8Array(bytes), reason, where),
    };
    this.sockets.add(socket);
    this.connections++;
    this.describe();
    if (this.paused) socket.pause();
    socket.on('data', (chunk: Buffer) => framer.push(chunk, sinks));
    socket.on('error', () => undefined); // a reset connection ends like a closed one
    socket.on('close', () => {
      framer.end(sinks, 'the connection closed');
      this.sockets.delete(socket);
      this.connections--;
      this.describe();
    });
  }

  private pauseSockets(pause: boolean): void {
    this.paused = pause;
    for (const s of this.sockets) {
      if (pause) s.pause();
      else s.resume();
    }
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = null;
    for (const s of this.sockets) s.destroy();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    await this.stage?.stop();
    this.ctx.setState('stopped');
  }
}

export const syslogSource: SourceFactory<SyslogOptions> = {
  kind: 'syslog',
  options: SyslogOptionsSchema,
  create: (options, ctx) => new SyslogSource(options, ctx),
};
