// A serial port as a source (serialport v13): any baud rate and line settings, RTS/CTS, DTR/RTS
// levels; lines (Arduino plotter, CSV, JSON, key=value), NMEA 0183 or binary frames; a console of
// the raw traffic and a way to send commands; and hot-plug — when the device goes away the source
// says so once and retries quietly with backoff, finding the device again by its USB serial
// number (or vendor/product id and path) even under a new path.
//
// Bytes go through the source's ingest stage (framer, decoder, batches). Back-pressure: a serial
// port can be paused. While the engine's pending work is at its bound the port stops being read,
// so the OS buffer and, with RTS/CTS, the device itself wait.
import fs from 'node:fs';
import type { SerialPort } from 'serialport';
import type { SourceConsoleResult } from '../../../../shared/api';
import { SerialOptions as SerialOptionsSchema, type SerialOptions } from '../../../../shared/schemas';
import { CompiledLayout, layoutDecoder } from '../../decode/binary';
import { FixedFramer, SlipFramer } from '../../ingest/framers/binary';
import type { Framer } from '../../ingest/framers/framer';
import type { IngestStage } from '../../ingest/stage';
import { LineFramer } from '../../ingest/framers/lines';
import { csvDecoder, jsonDecoder, keyValueDecoder } from '../../decode/formats';
import { nmeaDecoder } from '../../decode/nmea';
import { backoffDelay } from '../../../../shared/backoff';
import { reconnectBackoff } from '../mqtt/client';
import type { Source, SourceContext, SourceFactory } from '../source';
import { ConsoleRing } from './console';
import { FrameDecoder, type FrameSink } from '../../decode/registry';
import type { Decoder } from '../../decode/decoder';
import { plotterDecoder } from './plotter';
import { findDevice, identityAt, listSerialPorts, type DeviceIdentity } from './ports';

/**
 * Bytes arriving this soon after opening are likely the rest of a line the device was already
 * sending (the Arduino IDE drops the first line for the same reason); a board that resets on DTR
 * takes far longer to say anything, so its first line (a CSV header, say) is kept.
 */
const OPEN_GRACE_MS = 50; // not measured; a device sending within it has its first line quarantined

const LINE_DECODERS: Record<Exclude<SerialOptions['lineDecoder'], 'auto'>, Decoder> = {
  plotter: plotterDecoder,
  csv: csvDecoder,
  json: jsonDecoder,
  kv: keyValueDecoder,
};

interface Pipeline {
  framer: Framer & { firstMayBeCut?: boolean };
  decoders: Decoder[];
  /** The first decoder is the only one; otherwise each line's format is detected. */
  forced: boolean;
  label: string;
  warnings: string[];
}

/** Framing and decoders for the options; throws for a layout that cannot work. */
export function pipelineFor(o: SerialOptions): Pipeline {
  const framing = o.framing === 'auto' ? (o.binary ? 'binary' : 'lines') : o.framing;
  if (framing === 'binary') {
    const layout = new CompiledLayout(o.binary!);
    const fixed = layout.framing === 'fixed';
    return {
      framer: fixed ? new FixedFramer(layout, o.maxFrameBytes) : new SlipFramer(layout, o.maxFrameBytes),
      decoders: [layoutDecoder(layout)],
      forced: true,
      label: fixed ? `binary, ${layout.length}-byte frames` : 'binary, SLIP frames',
      warnings:
        fixed && layout.sync.length === 0 && !o.binary!.check
          ? [
              'fixed-length frames with neither sync bytes nor a check: one lost byte shifts every later frame',
            ]
          : [],
    };
  }
  const framer = new LineFramer(o.maxFrameBytes);
  if (framing === 'nmea')
    return { framer, decoders: [nmeaDecoder], forced: true, label: 'NMEA 0183', warnings: [] };
  if (o.lineDecoder !== 'auto')
    return {
      framer,
      decoders: [LINE_DECODERS[o.lineDecoder]],
      forced: true,
      label: `lines, ${o.lineDecoder}`,
      warnings: [],
    };
  return {
    framer,
    decoders: [nmeaDecoder, jsonDecoder, plotterDecoder, csvDecoder, keyValueDecoder],
    forced: false,
    label: 'lines',
    warnings: [],
  };
}

/** The decoding step of one serial stream: channels are named by the decoder's path alone. */
export function streamDecoder(
  pipeline: Pipeline,
  sourceId: string,
  sink: FrameSink,
  clock: { timeZone: string; futureToleranceSeconds: number } = {
    timeZone: 'UTC',
    futureToleranceSeconds: 300,
  },
): FrameDecoder {
  const forced = pipeline.forced ? pipeline.decoders[0]!.name : undefined;
  return new FrameDecoder(sourceId, sink, {
    candidates: pipeline.decoders,
    choose: () => forced,
    channelPath: (_key, path) => path,
    memoDefaults: { timeZone: clock.timeZone, futureToleranceMs: clock.futureToleranceSeconds * 1000 },
  });
}

function lineSettings(o: SerialOptions): string {
  const parity = { none: 'N', even: 'E', odd: 'O', mark: 'M', space: 'S' }[o.parity];
  return `${o.baudRate} ${o.dataBits}${parity}${o.stopBits}${o.rtscts ? ', RTS/CTS' : ''}`;
}

/** What the user can act on, for an open that failed. */
function openError(path: string, error: Error): string {
  const message = error.message.replace(/^Error: /, '');
  if (/permission denied|access denied/i.test(message))
    return `${path}: ${message}. On Linux, add yourself to the dialout group (sudo usermod -aG dialout $USER) and log in again`;
  if (/cannot lock|resource temporarily unavailable|busy/i.test(message))
    return `${path}: ${message} (another program has the port open)`;
  return `${path}: ${message}`;
}

function realPath(path: string): string | null {
  try {
    return fs.realpathSync(path);
  } catch {
    return null;
  }
}

function describeMissing(identity: DeviceIdentity): string {
  if (identity.serialNumber) return `no device with USB serial number ${identity.serialNumber} is plugged in`;
  const ids = `${identity.vendorId ?? '*'}:${identity.productId ?? '*'}`;
  return `no ${ids} device at ${identity.path} (nor a single one elsewhere)`;
}

class SerialSource implements Source {
  private port: SerialPort | null = null;
  private path: string;
  private pipeline!: Pipeline;
  private decoder!: FrameDecoder;
  /** The detected line format last shown in the endpoint. */
  private shownFormat: string | null = null;
  private readonly ring: ConsoleRing;
  private stage: IngestStage | null = null;
  private stopping = false;
  private connecting = false;
  private attempt = 0;
  private retry?: NodeJS.Timeout;
  /** The last error shown, so a retry that fails the same way says nothing new. */
  private reported: string | null = null;
  /** The device's USB identity learned from the port list when the options name none. */
  private learned: DeviceIdentity | null = null;
  /** The real path of the device the last time it was open (the options may name a symlink). */
  private realPath: string | null = null;
  private openedAt = 0;
  private firstChunk = true;
  private warnings: string[] = [];

  constructor(
    private readonly options: SerialOptions,
    private readonly ctx: SourceContext,
  ) {
    this.path = options.path;
    this.ring = new ConsoleRing(options.consoleKiB * 1024);
  }

  async start(): Promise<void> {
    const o = this.options;
    if (process.platform !== 'win32' && (o.parity === 'mark' || o.parity === 'space' || o.stopBits === 1.5))
      throw new Error(
        `${o.parity === 'mark' || o.parity === 'space' ? `${o.parity} parity` : '1.5 stop bits'} is available only on Windows (a limit of the serialport library)`,
      );
    this.pipeline = pipelineFor(o); // throws for a layout that cannot work: the engine shows it
    this.decoder = streamDecoder(
      this.pipeline,
      this.ctx.sourceId,
      {
        channel: (path, unit) => this.ctx.channel(path, unit),
        quarantine: (raw, reason, where) => this.ctx.quarantine(raw, reason, where),
        clockNotice: (_key, message) => this.ctx.notice('warn', `${this.ctx.sourceId}: ${message}`),
      },
      o,
    );
    this.stopping = false;
    this.warnings = this.pipeline.warnings;
    this.describe();
    this.stage = this.ctx.ingest({
      decoder: this.decoder,
      framer: this.pipeline.framer,
      policy: 'pause',
      pause: () => this.port?.pause(),
      resume: () => this.port?.resume(),
    });
    this.ctx.setState('starting');
    await this.connect();
  }

  /** The line format in use: the forced one, or the one the stream settled on. */
  private format(): string | null {
    return this.pipeline.forced ? this.pipeline.decoders[0]!.name : this.decoder.decoderOf(this.options.path);
  }

  private describe(): void {
    const moved = this.path !== this.options.path ? ` (found at ${this.path})` : '';
    this.shownFormat = this.format();
    const format = this.pipeline.forced ? '' : `, format: ${this.shownFormat ?? 'detecting'}`;
    this.ctx.describe(
      `${this.options.path}${moved}, ${lineSettings(this.options)}, ${this.pipeline.label}${format}`,
      this.warnings,
    );
  }

  private identity(): DeviceIdentity | null {
    const m = this.options.match;
    if (m && (m.serialNumber || m.vendorId || m.productId))
      return { ...m, path: this.realPath ?? realPath(this.options.path) ?? this.options.path };
    return this.learned;
  }

  /** The path to open: where the device is now when we know its USB identity, else the configured path. */
  private async locate(): Promise<string> {
    const identity = this.identity();
    if (!identity) return this.options.path;
    let ports;
    try {
      ports = await listSerialPorts();
    } catch {
      return this.options.path; // no port list here (no udev): the path is all we have
    }
    const found = findDevice(identity, ports);
    if (!found) throw new Error(describeMissing(identity));
    // Open the configured path when it names the same device (a /dev/serial/by-id link, say).
    return found.port.path === realPath(this.options.path) ? this.options.path : found.port.path;
  }

  private async open(path: string): Promise<SerialPort> {
    const o = this.options;
    const { SerialPort } = await import('serialport'); // loaded on first use: a broken native build affects serial sources only
    this.warnings = [...this.pipeline.warnings];
    const port = new SerialPort({
      path,
      baudRate: o.baudRate,
      dataBits: o.dataBits,
      parity: o.parity,
      stopBits: o.stopBits,
      rtscts: o.rtscts,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) =>
      port.open((e) => (e ? reject(new Error(openError(path, e))) : resolve())),
    );
    if (o.dtr !== undefined || o.rts !== undefined) {
      // `set` writes every line; leave the ones not configured where opening put them (asserted).
      const lines = { dtr: o.dtr ?? true, ...(o.rtscts ? {} : { rts: o.rts ?? true }) };
      await new Promise<void>((resolve) =>
        port.set(lines, (e) => {
          if (e)
            this.warnings.push(
              `DTR/RTS not set: ${e.message.replace(/^Error: /, '')} (a pty has no modem lines)`,
            );
          resolve();
        }),
      );
    }
    return port;
  }

  private async connect(): Promise<void> {
    if (this.stopping || this.port || this.connecting) return;
    this.connecting = true;
    try {
      const path = await this.locate();
      const port = await this.open(path);
      if (this.stopping) {
        await new Promise<void>((resolve) => port.close(() => resolve()));
        return;
      }
      this.attach(port, path);
    } catch (error) {
      this.down((error as Error).message);
    } finally {
      this.connecting = false;
    }
  }

  private attach(port: SerialPort, path: string): void {
    this.port = port;
    this.path = path;
    this.attempt = 0;
    this.reported = null;
    this.openedAt = this.ctx.now();
    this.firstChunk = true;
    this.realPath = realPath(path) ?? path;
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    port.on('close', (error?: Error | null) => {
      if (this.port !== port) return; // we closed it
      this.lost(`${path} went away (${error?.message ?? 'closed'})`);
    });
    port.on('error', (error: Error) => {
      if (this.port === port && !port.isOpen) this.lost(`${path}: ${error.message}`);
    });
    // A hang-up does not always reach the port (a pty whose other end was killed, some USB
    // drivers); the device node going away does, so look for it once a second.
    const watch = setInterval(() => {
      if (this.port !== port) return clearInterval(watch);
      if (realPath(path) !== null) return;
      clearInterval(watch);
      this.lost(`${path} went away (its device node is gone)`);
      port.close(() => undefined); // releases the descriptor; its close event is no longer ours
    }, 1_000);
    watch.unref();
    this.describe();
    this.ctx.setState('connected');
    if (!this.options.match && !this.learned) {
      const real = this.realPath;
      listSerialPorts()
        .then((ports) => (this.learned ??= identityAt(real, ports)))
        .catch(() => undefined);
    }
  }

  private onData(chunk: Buffer): void {
    const rx = this.ctx.now();
    if (this.firstChunk) {
      this.firstChunk = false;
      if (rx - this.openedAt < OPEN_GRACE_MS) this.pipeline.framer.firstMayBeCut = true;
    }
    this.ring.add('rx', chunk, rx);
    if (this.options.record || this.ctx.recordingNamed())
      this.stage!.addRaw([{ rx, key: this.path, payload: new Uint8Array(chunk), meta: {} }]);
    this.stage!.pushBytes(chunk, { rx, key: this.options.path, where: this.path });
    if (this.format() !== this.shownFormat) this.describe();
  }

  /** The port closed under us: keep what was half-received, say so once, and retry. */
  private lost(message: string): void {
    this.port = null;
    this.stage?.endBytes('the port closed');
    this.down(message);
  }

  /**
   * Not connected: shown once, then retried quietly with backoff. While the device is away, a retry
   * that finds it still missing says nothing new; one that finds it but cannot open it (permission,
   * another program has it) does.
   */
  private down(message: string): void {
    if (this.stopping) return;
    const missing = /no such file|not found|cannot find|ENOENT|^no .*device/i.test(message);
    if (message !== this.reported && !(missing && this.reported !== null)) {
      this.reported = message;
      this.ctx.setState('disconnected', message);
    }
    if (this.retry) return;
    const delay = backoffDelay(this.attempt++, reconnectBackoff(this.options));
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.stage?.endBytes('the source stopped');
    await this.stage?.stop();
    this.ctx.setState('stopped');
  }

  console(after: number | undefined, limit: number): SourceConsoleResult {
    return this.ring.read(after, limit);
  }

  async send(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen)
      throw new Error(`${this.options.path} is not connected${this.reported ? `: ${this.reported}` : ''}`);
    await new Promise<void>((resolve, reject) =>
      port.write(Buffer.from(bytes), (e) => (e ? reject(e) : port.drain((d) => (d ? reject(d) : resolve())))),
    );
    this.ring.add('tx', bytes, this.ctx.now());
  }
}

export const serialSource: SourceFactory<SerialOptions> = {
  kind: 'serial',
  options: SerialOptionsSchema,
  create: (options, ctx) => new SerialSource(options, ctx),
};
