// Re-decoding: stored input, read back byte for byte with where it came from, goes through the
// ingest stage again into a derived source (`<source>~redecoded`, or `<source>~<name>`), never over
// what was stored. Two inputs, one way of decoding them:
// - the quarantine browser's items, with the decoder the user picked after fixing a device or
//   finding the right format; the originals stay in quarantine until the user clears them;
// - a recording's raw messages (table `recordings`: sources with `record: true`, or in a named
//   recording) in a range, with the source's decoders as configured now or another one, the
//   original channels' calibration or a changed one, the source's masking or another.
// What still does not decode is quarantined under the derived source.
import { parseHex } from '../../../shared/hex';
import { redecodedSource, type RedecodeRequest } from '../../../shared/jobs';
import type { MaskingOptions } from '../../../shared/masking';
import type { RecordingRedecodeRequest } from '../../../shared/recordings';
import { SerialOptions, type SourceConfig } from '../../../shared/schemas';
import { decoderByName, FrameDecoder, type FrameSink } from '../decode/registry';
import { ChannelRefused, type IngestStage } from '../ingest/stage';
import type { Framer } from '../ingest/framers/framer';
import { mqttFrameDecoder } from '../sources/mqtt/ingest';
import { pipelineFor, streamDecoder } from '../sources/serial';
import { sourceFactories } from '../sources/registry';
import { CHANNEL_REFUSED, type SourceContext } from '../sources/source';
import type { Store } from '../store/store';
import type { JobHandle, JobRunner } from './board';

export interface RedecodeHost {
  store: Store;
  ingestContext(id: string, kind: string, masking?: MaskingOptions): SourceContext;
}

export interface RecordingRedecodeHost extends RedecodeHost {
  /** The source as configured now (undefined once removed). */
  sourceConfig(id: string): SourceConfig | undefined;
  /** The masking a configured source's options ask for, if any. */
  maskingOf(id: string): MaskingOptions | undefined;
  /** The scale and offset configured for a channel (full name), if any. */
  calibrationOf(channel: string): { scale: number; offset: number } | undefined;
  /** Sets the scale and offset applied to a channel's samples before they are stored. */
  calibrate(channelId: number, scale: number, offset: number): void;
}

/** Items read back per query: bounded memory whatever the selection. */
const ITEMS_PER_READ = 500;

/** The channel hook of a derived source: refused channels go to quarantine whole, as live. */
function channelOf(ctx: SourceContext, then?: (id: number, path: string) => void): FrameSink['channel'] {
  return (path, unit) => {
    const id = ctx.channel(path, unit);
    if (id === CHANNEL_REFUSED)
      throw new ChannelRefused(
        `the source is at its channel limit (store.maxChannelsPerSource): no channel for "${path}"`,
      );
    then?.(id, path);
    return id;
  };
}

/**
 * Pushes pages of stored input through the stage until `readPage` answers none or the job is
 * cancelled; the position it answers travels with the page's rows, so a resumed job goes on after them.
 */
async function decodePages(
  stage: IngestStage,
  job: JobHandle,
  readPage: () => Promise<{
    rows: { rx: number; key: string; bytes: Uint8Array }[];
    position?: string;
  } | null>,
  describe: (done: number) => string,
  /** Rows are chunks of a byte stream (a serial port's), framed again as they were live. */
  stream = false,
): Promise<number> {
  const info = job.info;
  const started = Date.now();
  let items = 0;
  for (let page = await readPage(); page && !job.signal.aborted; page = await readPage()) {
    const { rows, position } = page;
    if (stream) {
      rows.forEach((row, i) => {
        info.bytesDone += row.bytes.length;
        const last = i === rows.length - 1 && position !== undefined;
        stage.pushBytes(
          row.bytes,
          { rx: row.rx, key: row.key, where: `recorded chunk at ${new Date(row.rx).toISOString()}` },
          last ? { key: job.id, value: position } : undefined,
        );
      });
    } else
      stage.pushFrames(() => {
        for (const row of rows) {
          info.bytesDone += row.bytes.length;
          if (stage.pushFrame({ rx: row.rx, key: row.key, bytes: row.bytes })) info.rows++;
        }
        return position === undefined ? undefined : { key: job.id, value: position };
      });
    items += rows.length;
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    info.rowsPerSecond = info.rows / seconds;
    info.detail = describe(items);
    job.changed();
  }
  await stage.stop(); // everything handed over is durable (or the store said why not)
  return items;
}

export function redecodeRunner(host: RedecodeHost): JobRunner<RedecodeRequest> {
  return (request, job) => redecodeQuarantine(host, request, job);
}

async function redecodeQuarantine(
  host: RedecodeHost,
  request: RedecodeRequest,
  job: JobHandle,
): Promise<void> {
  const decoder = decoderByName(request.decoder); // an unknown name fails the job, saying the known ones
  const target = redecodedSource(request.source);
  const ctx = host.ingestContext(target, 'redecode');
  const info = job.info;
  info.bytesTotal = null;
  const frames = new FrameDecoder(
    target,
    {
      channel: (p, unit) => ctx.channel(p, unit),
      quarantine: (raw, reason, where) => {
        info.quarantined++;
        stage.addQuarantine(raw, reason, where);
      },
    },
    { candidates: [decoder], choose: () => decoder.name },
  );
  const stage = ctx.ingest({ decoder: frames, policy: 'pause' });
  let at = 0;
  await decodePages(
    stage,
    job,
    async () => {
      if (at >= request.ids.length) return null;
      const ids = request.ids.slice(at, at + ITEMS_PER_READ);
      const rows = await host.store.read(
        `SELECT q.rowid, epoch_ms(q.rx)::DOUBLE, q."where", hex(q.raw) FROM quarantine q
         WHERE q.source_id = (SELECT id FROM sources WHERE key = ?) AND q.rowid IN (${ids.map(() => '?').join(', ')})
         ORDER BY q.rowid`,
        [request.source, ...ids],
      );
      if (at === 0 && rows.length === 0)
        throw new Error(
          `none of the ${request.ids.length} items is in ${request.source}'s quarantine (cleared?)`,
        );
      at += ids.length;
      return {
        // The key is where the item came from (a topic, a port): the channels it gives hang there.
        rows: rows.map(([, rx, where, hex]) => ({
          rx: Number(rx),
          key: String(where) || request.source,
          bytes: parseHex(String(hex)) ?? new Uint8Array(),
        })),
      };
    },
    (done) =>
      `re-decoding ${Math.min(done, request.ids.length)} of ${request.ids.length} items with ${decoder.name}`,
  );
  job.note(
    `${info.rows} of ${request.ids.length} items decoded with ${decoder.name} into ${target}; ${info.quarantined} still not decodable; the originals stay in ${request.source}'s quarantine`,
  );
}

export function recordingRedecodeRunner(host: RecordingRedecodeHost): JobRunner<RecordingRedecodeRequest> {
  return (request, job) => redecodeRecording(host, request, job);
}

/** Rows a derived source holds already (samples and records): a new re-decode wants an empty one. */
async function rowsOf(store: Store, source: string): Promise<number> {
  const r = await store.read(
    `SELECT (SELECT count(*) FROM samples s JOIN channels c ON c.id = s.channel_id JOIN sources src ON src.id = c.source_id WHERE src.key = $1)
          + (SELECT count(*) FROM records r JOIN sources src ON src.id = r.source_id WHERE src.key = $1)`,
    [source],
  );
  return Number(r[0]?.[0] ?? 0);
}

async function redecodeRecording(
  host: RecordingRedecodeHost,
  request: RecordingRedecodeRequest,
  job: JobHandle,
): Promise<void> {
  if (!(request.to > request.from))
    throw new Error('re-decode: the end of the range must be after its start');
  const target = request.target ?? redecodedSource(request.source);
  if (target.split('~')[0] !== request.source)
    throw new Error(
      `re-decode: the derived source of ${request.source} is named ${request.source}~<name>, not ${target}`,
    );
  const kindRows = await host.store.read(`SELECT kind FROM sources WHERE key = $1`, [request.source]);
  if (!kindRows[0])
    throw new Error(`re-decode: the workspace has stored nothing from a source "${request.source}"`);
  const config = host.sourceConfig(request.source);
  const kind = config?.kind ?? String(kindRows[0][0]);
  // MQTT rows are messages, decoded one by one; a serial source's are chunks of its byte stream,
  // framed again in order as they were live.
  const serial = kind === 'serial';
  if (kind !== 'mqtt' && kind !== 'mqtt-broker' && !serial)
    throw new Error(
      `re-decode: ${request.source} is a ${kind} source; recordings of MQTT and serial sources can be re-decoded`,
    );

  const ctxPosition = host.ingestContext(
    target,
    'redecode',
    request.masking ?? host.maskingOf(request.source),
  );
  const saved = (await ctxPosition.positions()).get(job.id);
  // Never mixed with an earlier run: a second re-decode goes to another name (a resumed job goes on).
  if (saved === undefined) {
    const held = await rowsOf(host.store, target);
    if (held > 0)
      throw new Error(
        `re-decode: ${target} holds ${held} rows already; give another name (a derived source is never written over)`,
      );
  }
  const ctx = ctxPosition;
  const info = job.info;
  const calibrated = (id: number, path: string) => {
    // The original channel's calibration carries over (the same samples as live), unless changed here.
    const c = request.calibration?.[path] ?? host.calibrationOf(`${request.source}/${path}`);
    host.calibrate(id, c?.scale ?? 1, c?.offset ?? 0);
  };
  const sink: FrameSink = {
    channel: channelOf(ctx, calibrated),
    quarantine: (raw, reason, where) => {
      info.quarantined++;
      stage.addQuarantine(raw, reason, where);
    },
  };
  let frames: FrameDecoder;
  let framer: Framer | undefined;
  let how: string;
  if (serial) {
    // The source's framing and line decoders as configured now (a removed source: lines), or the
    // decoder named here on its framing.
    const options = SerialOptions.parse(config?.options ?? { path: request.source });
    if (!config && !request.decoder)
      throw new Error(
        `re-decode: ${request.source} is no longer configured, so its decoders are unknown: name a decoder`,
      );
    const pipeline = pipelineFor(options);
    if (request.decoder) {
      const decoder = decoderByName(request.decoder);
      pipeline.decoders = [decoder];
      pipeline.forced = true;
    }
    // A resumed job starts inside a frame the stopped one held: its first may be cut.
    if (saved !== undefined) pipeline.framer.firstMayBeCut = true;
    framer = pipeline.framer;
    frames = streamDecoder(pipeline, target, sink, options);
    how = request.decoder ? request.decoder : `${request.source}'s framing and decoders (${pipeline.label})`;
  } else if (request.decoder) {
    const decoder = decoderByName(request.decoder);
    frames = new FrameDecoder(target, sink, { candidates: [decoder], choose: () => decoder.name });
    how = decoder.name;
  } else {
    if (!config)
      throw new Error(
        `re-decode: ${request.source} is no longer configured, so its decoders are unknown: name a decoder`,
      );
    const options = sourceFactories[config.kind].options.parse(config.options) as Parameters<
      typeof mqttFrameDecoder
    >[2];
    frames = mqttFrameDecoder(target, sink, options);
    how = `${request.source}'s decoders`;
  }
  const stage = ctx.ingest({ decoder: frames, ...(framer ? { framer } : {}), policy: 'pause' });

  const fromUs = Math.round(request.from * 1000);
  const toUs = Math.round(request.to * 1000);
  const where = `source_id = (SELECT id FROM sources WHERE key = $1)
    AND rx >= make_timestamp($2::BIGINT) AND rx < make_timestamp($3::BIGINT)`;
  const total = await host.store.read(
    `SELECT count(*), coalesce(sum(octet_length(payload)), 0) FROM recordings WHERE ${where}`,
    [request.source, fromUs, toUs],
  );
  const messages = Number(total[0]?.[0] ?? 0);
  info.bytesTotal = Number(total[0]?.[1] ?? 0);
  if (messages === 0)
    throw new Error(
      `re-decode: no raw messages of ${request.source} were recorded in ${new Date(request.from).toISOString()}–${new Date(request.to).toISOString()} (record: true, or a named recording, keeps them)`,
    );
  let after = saved === undefined ? -1 : Number(saved);
  await decodePages(
    stage,
    job,
    async () => {
      const rows = await host.store.read(
        `SELECT rowid, epoch_ms(rx)::DOUBLE, "key", hex(payload) FROM recordings WHERE ${where} AND rowid > $4
         ORDER BY rowid LIMIT ${ITEMS_PER_READ}`,
        [request.source, fromUs, toUs, after],
      );
      if (rows.length === 0) return null;
      after = Number(rows[rows.length - 1]![0]);
      return {
        rows: rows.map(([, rx, key, hex]) => ({
          rx: Number(rx),
          key: String(key),
          bytes: parseHex(String(hex)) ?? new Uint8Array(),
        })),
        position: String(after),
      };
    },
    (done) =>
      `re-decoding ${done} of ${messages} recorded ${serial ? 'chunks' : 'messages'} of ${request.source} with ${how}`,
    serial,
  );
  job.note(
    serial
      ? `${messages} recorded chunks of ${request.source} framed and decoded with ${how} into ${target}: ${info.quarantined} frames did not decode; what was stored under ${request.source} is unchanged`
      : `${messages} recorded messages of ${request.source} decoded with ${how} into ${target}: ${info.rows} gave rows, ${info.quarantined} did not decode; what was stored under ${request.source} is unchanged`,
  );
}
