// Binary frames from a serial device: checks (XOR and CRCs), SLIP, and a user-declared layout of
// fields. The framers turn a byte stream into whole, verified frames and hand everything else
// (bytes before a sync, torn frames, bad checks) out as bad bytes with a reason, then resync on the
// next sync or delimiter. The layout decoder only reads fields out of frames the framer verified.
import {
  BINARY_CHECK_BYTES,
  BINARY_FIELD_BYTES,
  type BinaryField,
  type BinaryLayout,
} from '../../../shared/schemas';
import { placeLayout } from '../../../shared/binary-layout';
import { formatHex, parseHex } from '../../../shared/hex';
import { plausibleTimestamp, type Decoder } from './decoder';

// ---- checks ----------------------------------------------------------------------------------

export type CheckKind = NonNullable<BinaryLayout['check']>['kind'];

interface CrcParams {
  width: 8 | 16 | 32;
  poly: number;
  init: number;
  /** refin and refout together (every variant here has both or neither). */
  reflected: boolean;
  xorout: number;
}

/** Parameters as in the Rocksoft model / the CRC catalogue (reveng). */
const CRC_PARAMS: Record<Exclude<CheckKind, 'xor'>, CrcParams> = {
  crc8: { width: 8, poly: 0x07, init: 0x00, reflected: false, xorout: 0x00 }, // CRC-8/SMBUS, check 0xF4
  'crc8-maxim': { width: 8, poly: 0x31, init: 0x00, reflected: true, xorout: 0x00 }, // check 0xA1
  'crc16-modbus': { width: 16, poly: 0x8005, init: 0xffff, reflected: true, xorout: 0x0000 }, // check 0x4B37
  'crc16-ccitt-false': { width: 16, poly: 0x1021, init: 0xffff, reflected: false, xorout: 0x0000 }, // check 0x29B1
  crc32: { width: 32, poly: 0x04c11db7, init: 0xffffffff, reflected: true, xorout: 0xffffffff }, // check 0xCBF43926
};

function reflectBits(value: number, width: number): number {
  let r = 0;
  for (let i = 0; i < width; i++) if (value & (2 ** i)) r += 2 ** (width - 1 - i);
  return r;
}

type CheckFn = (bytes: Uint8Array, from?: number, to?: number) => number;

/** A table-driven CRC: one table lookup per byte. */
function makeCrc({ width, poly, init, reflected, xorout }: CrcParams): CheckFn {
  const table = new Uint32Array(256);
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  if (reflected) {
    const rpoly = reflectBits(poly, width);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ rpoly : c >>> 1;
      table[i] = c >>> 0;
    }
    const start = reflectBits(init, width);
    return (bytes, from = 0, to = bytes.length) => {
      let c = start;
      for (let i = from; i < to; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
      return ((c ^ xorout) & mask) >>> 0;
    };
  }
  const top = 2 ** (width - 1);
  for (let i = 0; i < 256; i++) {
    let c = i * 2 ** (width - 8);
    for (let k = 0; k < 8; k++) c = c >= top ? ((c - top) * 2) ^ poly : c * 2;
    table[i] = c >>> 0;
  }
  const shift = width - 8;
  return (bytes, from = 0, to = bytes.length) => {
    let c = init;
    for (let i = from; i < to; i++) c = (table[((c >>> shift) ^ bytes[i]!) & 0xff]! ^ (c << 8)) & mask;
    return ((c ^ xorout) & mask) >>> 0;
  };
}

const xor8: CheckFn = (bytes, from = 0, to = bytes.length) => {
  let c = 0;
  for (let i = from; i < to; i++) c ^= bytes[i]!;
  return c;
};

export const checks: Record<CheckKind, { bytes: number; compute: CheckFn; endian: 'little' | 'big' }> = {
  xor: { bytes: BINARY_CHECK_BYTES['xor'], compute: xor8, endian: 'little' },
  crc8: { bytes: BINARY_CHECK_BYTES['crc8'], compute: makeCrc(CRC_PARAMS.crc8), endian: 'little' },
  'crc8-maxim': {
    bytes: BINARY_CHECK_BYTES['crc8-maxim'],
    compute: makeCrc(CRC_PARAMS['crc8-maxim']),
    endian: 'little',
  },
  // MODBUS RTU sends the CRC low byte first; CCITT-FALSE (XMODEM-style links) high byte first.
  'crc16-modbus': {
    bytes: BINARY_CHECK_BYTES['crc16-modbus'],
    compute: makeCrc(CRC_PARAMS['crc16-modbus']),
    endian: 'little',
  },
  'crc16-ccitt-false': {
    bytes: BINARY_CHECK_BYTES['crc16-ccitt-false'],
    compute: makeCrc(CRC_PARAMS['crc16-ccitt-false']),
    endian: 'big',
  },
  crc32: { bytes: BINARY_CHECK_BYTES['crc32'], compute: makeCrc(CRC_PARAMS.crc32), endian: 'little' },
};

// ---- SLIP (RFC 1055) -------------------------------------------------------------------------

export const SLIP_END = 0xc0;
const SLIP_ESC = 0xdb;
const SLIP_ESC_END = 0xdc;
const SLIP_ESC_ESC = 0xdd;

/** A frame as sent on the wire: END, the escaped bytes, END. */
export function slipEncode(frame: Uint8Array): Uint8Array {
  const out: number[] = [SLIP_END];
  for (const b of frame) {
    if (b === SLIP_END) out.push(SLIP_ESC, SLIP_ESC_END);
    else if (b === SLIP_ESC) out.push(SLIP_ESC, SLIP_ESC_ESC);
    else out.push(b);
  }
  out.push(SLIP_END);
  return Uint8Array.from(out);
}

/** The bytes between two ENDs, unescaped; a string saying why when an escape is broken. */
export function slipUnescape(wire: Uint8Array): Uint8Array | string {
  const out = new Uint8Array(wire.length);
  let n = 0;
  for (let i = 0; i < wire.length; i++) {
    const b = wire[i]!;
    if (b !== SLIP_ESC) {
      out[n++] = b;
      continue;
    }
    const next = wire[++i];
    if (next === SLIP_ESC_END) out[n++] = SLIP_END;
    else if (next === SLIP_ESC_ESC) out[n++] = SLIP_ESC;
    else
      return next === undefined
        ? 'SLIP escape at the end of the frame'
        : `bad SLIP escape DB ${next.toString(16).padStart(2, '0').toUpperCase()} at byte ${i - 1}`;
  }
  return out.subarray(0, n);
}

// ---- layouts ---------------------------------------------------------------------------------

const FIELD_BYTES = BINARY_FIELD_BYTES;

interface PlacedField extends BinaryField {
  pos: number;
  size: number;
}

/** A layout with every position worked out and checked against the frame length. */
export class CompiledLayout {
  readonly framing: BinaryLayout['framing'];
  readonly sync: Uint8Array;
  readonly fields: readonly PlacedField[];
  /** Fixed: the frame length. SLIP: the exact length when declared, else null. */
  readonly length: number | null;
  /** The shortest frame that holds every field and the check. */
  readonly minLength: number;
  private readonly check: { kind: CheckKind; at: number; from: number; little: boolean } | null;

  constructor(layout: BinaryLayout) {
    this.framing = layout.framing;
    const sync = layout.sync ? parseHex(layout.sync) : new Uint8Array(0);
    if (!sync) throw new Error(`binary.sync: "${layout.sync}" is not hex bytes, e.g. "AA 55"`);
    this.sync = sync;
    const c = layout.check;
    const placed = placeLayout({
      framing: layout.framing,
      syncBytes: this.sync.length,
      fields: layout.fields.map((f) => ({ size: FIELD_BYTES[f.type], at: f.at ?? null })),
      check: c ? { size: checks[c.kind].bytes, at: c.at ?? null, from: c.from } : null,
      length: layout.length ?? null,
    });
    const problem = placed.problems[0];
    if (problem) {
      const field = /^fields\.(\d+)$/.exec(problem.path);
      const name = field ? ` (${layout.fields[Number(field[1])]!.name})` : '';
      throw new Error(`binary.${problem.path}${name}: ${problem.message}`);
    }
    this.fields = layout.fields.map((f, i) => ({ ...f, ...placed.fields[i]! }));
    this.check =
      c && placed.check
        ? {
            kind: c.kind,
            at: placed.check.at,
            from: c.from,
            little: (c.endian ?? checks[c.kind].endian) === 'little',
          }
        : null;
    this.minLength = placed.minLength;
    this.length = placed.length;
  }

  /** Why a whole frame is not a good one (length, check), or null when it is. */
  problem(frame: Uint8Array): string | null {
    if (this.length !== null && frame.length !== this.length)
      return `frame of ${frame.length} bytes, the layout says ${this.length}`;
    if (frame.length < this.minLength)
      return `torn frame: ${frame.length} bytes, the layout needs at least ${this.minLength}`;
    const c = this.check;
    if (!c) return null;
    const { bytes, compute } = checks[c.kind];
    const at = c.at >= 0 ? c.at : frame.length + c.at;
    const want = compute(frame, c.from, at);
    let got = 0;
    for (let k = 0; k < bytes; k++) got += frame[at + (c.little ? k : bytes - 1 - k)]! * 2 ** (8 * k);
    return got === want
      ? null
      : `${c.kind} check failed: computed ${formatHex(want, bytes)}, frame says ${formatHex(got, bytes)}`;
  }
}

function readField(view: DataView, f: PlacedField): number {
  const le = f.endian === 'little';
  switch (f.type) {
    case 'int8':
      return view.getInt8(f.pos);
    case 'uint8':
      return view.getUint8(f.pos);
    case 'int16':
      return view.getInt16(f.pos, le);
    case 'uint16':
      return view.getUint16(f.pos, le);
    case 'int32':
      return view.getInt32(f.pos, le);
    case 'uint32':
      return view.getUint32(f.pos, le);
    case 'int64':
      return Number(view.getBigInt64(f.pos, le));
    case 'uint64':
      return Number(view.getBigUint64(f.pos, le));
    case 'float32':
      return view.getFloat32(f.pos, le);
    case 'float64':
      return view.getFloat64(f.pos, le);
  }
}

/**
 * Reads a verified frame's fields into channels named after them (`raw × scale + offset`). An
 * epoch timestamp field is the event time when plausible (else the receive time) and no channel;
 * a since-boot one is a channel and never the event time. NaN and infinite floats (and a scale
 * that overflows) are gaps, not values, as `nan` and `inf` are in the plotter format.
 */
export function layoutDecoder(layout: CompiledLayout): Decoder & { unit(path: string): string } {
  const units = new Map(layout.fields.map((f) => [f.name, f.unit]));
  const clock = layout.fields.find((f) => f.timestamp?.startsWith('epoch'));
  const values = layout.fields.filter((f) => f !== clock);
  return {
    name: 'binary',
    detect: (bytes) => (bytes.length >= layout.minLength ? 1 : 0),
    unit: (path) => units.get(path) ?? '',
    decode(frame, out, memo) {
      const bytes = frame.bytes;
      if (bytes.length < layout.minLength)
        return {
          ok: false,
          reason: `torn frame: ${bytes.length} bytes, the layout needs ${layout.minLength}`,
        };
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let ts = frame.rx;
      if (clock) {
        const raw = readField(view, clock);
        ts =
          plausibleTimestamp(clock.timestamp === 'epoch-s' ? raw * 1000 : raw, frame.rx, memo, out) ??
          frame.rx;
      }
      let written = 0;
      for (const f of values) {
        const v = readField(view, f) * f.scale + f.offset;
        if (!Number.isFinite(v)) continue;
        out.sample(f.name, v, ts);
        written++;
      }
      return written ? { ok: true } : { ok: false, reason: 'every field is NaN or infinite' };
    },
  };
}
