// Buckets of min/max per channel, live and stored alike, sent as one binary message so the renderer
// hands typed-array views straight to uPlot with no parsing and no object per value. Live frames
// come as the engine pushes them; the answer to a `series` call (history) is the same layout with
// the call's id in the header, decoded by the same code.
//
// Layout, little-endian, every f64 array 8-byte aligned so views need no copy:
//   header (24 B): u32 magic 'OPDF' · u16 version · u16 flags · u32 channel count · u32 reply · f64 bucketMs
//   per channel:   u32 id · u32 n · f64 t[n] · f64 min[n] · f64 max[n]
// `t` is the start of each bucket (epoch ms). A frame with FLAG_RESET replaces what the receiver
// holds for its channels (a new subscription's first window); otherwise it appends. `reply` is 0
// for a live frame, else the id of the call it answers (call ids start at 1).

export const FRAME_MAGIC = 0x4644504f; // 'OPDF' read as little-endian u32
export const FRAME_VERSION = 1;
export const FLAG_RESET = 1;
const HEADER_BYTES = 24;
const CHANNEL_HEADER_BYTES = 8;

export interface ChannelPoints {
  id: number;
  t: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** Buckets of several channels at one width: a `series` answer, or the body of a live frame. */
export interface BucketSeries {
  bucketMs: number;
  channels: ChannelPoints[];
}

export interface LiveFrame extends BucketSeries {
  reset: boolean;
  /** The call this frame answers; absent for a live frame. */
  replyTo?: number;
}

/** What a decoded `series` answer must look like (shared/api.ts validates results with it). */
export function isBucketSeries(value: unknown): value is BucketSeries {
  const v = value as BucketSeries | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.bucketMs === 'number' &&
    Array.isArray(v.channels) &&
    v.channels.every(
      (c) =>
        typeof c.id === 'number' &&
        c.t instanceof Float64Array &&
        c.min instanceof Float64Array &&
        c.max instanceof Float64Array &&
        c.min.length === c.t.length &&
        c.max.length === c.t.length,
    )
  );
}

export function encodeFrame(frame: LiveFrame): ArrayBuffer {
  let bytes = HEADER_BYTES;
  for (const c of frame.channels) bytes += CHANNEL_HEADER_BYTES + c.t.length * 24;
  const buffer = new ArrayBuffer(bytes);
  const view = new DataView(buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint16(4, FRAME_VERSION, true);
  view.setUint16(6, frame.reset ? FLAG_RESET : 0, true);
  view.setUint32(8, frame.channels.length, true);
  view.setUint32(12, frame.replyTo ?? 0, true);
  view.setFloat64(16, frame.bucketMs, true);
  let offset = HEADER_BYTES;
  for (const c of frame.channels) {
    const n = c.t.length;
    if (c.min.length !== n || c.max.length !== n)
      throw new Error(`frame channel ${c.id}: t, min and max differ in length`);
    view.setUint32(offset, c.id, true);
    view.setUint32(offset + 4, n, true);
    offset += CHANNEL_HEADER_BYTES;
    new Float64Array(buffer, offset, n).set(c.t);
    new Float64Array(buffer, offset + n * 8, n).set(c.min);
    new Float64Array(buffer, offset + n * 16, n).set(c.max);
    offset += n * 24;
  }
  return buffer;
}

/** Validates the layout and returns views into `buffer`; throws with the offset of what is wrong. */
export function decodeFrame(buffer: ArrayBuffer): LiveFrame {
  if (buffer.byteLength < HEADER_BYTES)
    throw new Error(`live frame: ${buffer.byteLength} bytes is shorter than the header`);
  const view = new DataView(buffer);
  if (view.getUint32(0, true) !== FRAME_MAGIC) throw new Error('live frame: bad magic at offset 0');
  const version = view.getUint16(4, true);
  if (version !== FRAME_VERSION) throw new Error(`live frame: version ${version}, expected ${FRAME_VERSION}`);
  const flags = view.getUint16(6, true);
  const count = view.getUint32(8, true);
  const replyTo = view.getUint32(12, true);
  const bucketMs = view.getFloat64(16, true);
  const channels: ChannelPoints[] = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + CHANNEL_HEADER_BYTES > buffer.byteLength)
      throw new Error(`live frame: channel ${i} header past the end at offset ${offset}`);
    const id = view.getUint32(offset, true);
    const n = view.getUint32(offset + 4, true);
    offset += CHANNEL_HEADER_BYTES;
    if (offset + n * 24 > buffer.byteLength)
      throw new Error(`live frame: channel ${id} claims ${n} points past the end at offset ${offset}`);
    channels.push({
      id,
      t: new Float64Array(buffer, offset, n),
      min: new Float64Array(buffer, offset + n * 8, n),
      max: new Float64Array(buffer, offset + n * 16, n),
    });
    offset += n * 24;
  }
  if (offset !== buffer.byteLength)
    throw new Error(`live frame: ${buffer.byteLength - offset} trailing bytes at offset ${offset}`);
  const frame: LiveFrame = { reset: (flags & FLAG_RESET) !== 0, bucketMs, channels };
  if (replyTo !== 0) frame.replyTo = replyTo;
  return frame;
}
