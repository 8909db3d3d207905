// Serial / USB devices: lines (plotter, CSV, JSON, key=value), NMEA 0183, or binary frames.
import { z } from 'zod';
import { optInMaskingOption } from '../masking';
import { defineSourceKind } from './descriptor';
import { deviceClockOptions } from './fields';

const WINDOWS_ONLY = ' (Windows only)';
const LINE_LEVELS = { '': 'leave as opened', true: 'on', false: 'off' };

/** Hex bytes, e.g. "AA 55" or "aa55". */
const HexBytes = z
  .string()
  .max(64)
  .regex(/^\s*(?:[0-9a-fA-F]{2}\s*)+$/, 'hex bytes, e.g. "AA 55"');

export const BINARY_FIELD_TYPES = [
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
] as const;

/** Bytes each field type takes in a frame (the engine decodes by it; the form lays out by it). */
export const BINARY_FIELD_BYTES: Record<(typeof BINARY_FIELD_TYPES)[number], number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

/** CRC-8 is CRC-8/SMBUS (poly 0x07); CRC-8/MAXIM is the 1-Wire one (DS18B20); CRC-32 is zlib's. */
export const BINARY_CHECKS = [
  'xor',
  'crc8',
  'crc8-maxim',
  'crc16-modbus',
  'crc16-ccitt-false',
  'crc32',
] as const;

/** Bytes each check takes in a frame. */
export const BINARY_CHECK_BYTES: Record<(typeof BINARY_CHECKS)[number], number> = {
  xor: 1,
  crc8: 1,
  'crc8-maxim': 1,
  'crc16-modbus': 2,
  'crc16-ccitt-false': 2,
  crc32: 4,
};

export const BinaryField = z
  .object({
    /** Channel path under the source (`sourceId/name`). */
    name: z.string().min(1).max(128),
    type: z.enum(BINARY_FIELD_TYPES),
    endian: z.enum(['little', 'big']).default('little'),
    /** Byte position in the frame; default: right after the previous field (the first after the sync bytes). */
    at: z.number().int().min(0).max(65_535).optional(),
    /** The stored value is `raw × scale + offset`. */
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
    unit: z.string().max(32).default(''),
    /**
     * This field is the device's clock. Since the epoch: the frame's event time when plausible, not a
     * channel. Since boot: a channel like any other, never the event time.
     */
    timestamp: z.enum(['epoch-ms', 'epoch-s', 'boot-ms', 'boot-s']).optional(),
  })
  .strict();
export type BinaryField = z.infer<typeof BinaryField>;

export const BinaryLayout = z
  .object({
    /** Fixed-length frames (found by their sync bytes, or by their check), or SLIP-delimited (RFC 1055). */
    framing: z.enum(['fixed', 'slip']),
    /** Whole frame in bytes, sync and check included. Fixed: default sync + fields + check. SLIP: if set, the exact length. */
    length: z.number().int().min(1).max(65_535).optional().meta({
      label: 'Frame length (bytes)',
      placeholder: 'computed',
      help: 'The whole frame, sync and check included. Fixed frames: computed when empty.',
    }),
    /** Bytes that start every fixed-length frame. */
    sync: HexBytes.optional().meta({
      label: 'Sync bytes (hex)',
      placeholder: 'e.g. AA 55',
      help: 'The bytes every frame starts with; they find frames in the stream.',
    }),
    fields: z.array(BinaryField).min(1).max(256),
    check: z
      .object({
        kind: z.enum(BINARY_CHECKS),
        /** Byte position of the check value; negative counts from the end. Default: the last bytes. */
        at: z.number().int().min(-65_535).max(65_535).optional().meta({
          label: 'Check at byte',
          placeholder: 'the last bytes',
          help: 'Negative counts from the end of the frame.',
        }),
        /** First byte covered; the check covers everything from here up to itself. */
        from: z
          .number()
          .int()
          .min(0)
          .max(65_535)
          .default(0)
          .meta({ label: 'Covers from byte', help: 'Up to the check itself.' }),
        /** Byte order of a 16- or 32-bit check. Default: little for MODBUS and CRC-32, big for CCITT. */
        endian: z
          .enum(['little', 'big'])
          .optional()
          .meta({
            label: 'Check byte order',
            choiceLabels: { '': 'usual for the algorithm', little: 'little-endian', big: 'big-endian' },
          }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.sync !== undefined && o.framing !== 'fixed')
      ctx.addIssue({
        code: 'custom',
        path: ['sync'],
        message: 'sync bytes find fixed-length frames; SLIP frames are found by their delimiters',
      });
    if (o.fields.filter((f) => f.timestamp?.startsWith('epoch')).length > 1)
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'at most one field is the epoch timestamp' });
  });
export type BinaryLayout = z.infer<typeof BinaryLayout>;

export const SerialOptions = z
  .object({
    /** /dev/ttyUSB0, /dev/serial/by-id/…, COM3. */
    path: z.string().min(1).max(4096).meta({
      label: 'Path',
      placeholder: '/dev/ttyUSB0, /dev/serial/by-id/…, COM3',
      help: 'Pick a port above, or type a path: a pty, a /dev/serial/by-id/… link, COM3.',
    }),
    /**
     * How to find the device again when it comes back (hot-plug): by USB serial number under any
     * path, or by vendor/product id at the same path (boards without a serial number).
     */
    match: z
      .object({
        serialNumber: z.string().min(1).max(256).optional().meta({
          label: 'USB serial number',
          placeholder: 'none',
          help: 'When set, the device is found under any path.',
        }),
        vendorId: z
          .string()
          .regex(/^[0-9a-fA-F]{4}$/, '4 hex digits, e.g. 1a86')
          .optional()
          .meta({ label: 'USB vendor id', placeholder: 'e.g. 2341' }),
        productId: z
          .string()
          .regex(/^[0-9a-fA-F]{4}$/, '4 hex digits, e.g. 7523')
          .optional()
          .meta({
            label: 'USB product id',
            placeholder: 'e.g. 0043',
            help: 'Without a serial number: the same ids at the same path (or the only such device elsewhere).',
          }),
      })
      .strict()
      .optional()
      .meta({ label: 'Find it again after unplugging' }),
    /** Any rate the adapter can do: 9600, 115200, 250000, 1000000, … */
    baudRate: z.number().int().min(1).max(20_000_000).default(115_200),
    dataBits: z
      .union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)])
      .default(8)
      .meta({ label: 'Data bits' }),
    /** mark and space, and 1.5 stop bits, only on Windows (the serial library's limit). */
    parity: z
      .enum(['none', 'even', 'odd', 'mark', 'space'])
      .default('none')
      .meta({
        label: 'Parity',
        choiceLabels: { mark: `mark${WINDOWS_ONLY}`, space: `space${WINDOWS_ONLY}` },
      }),
    stopBits: z
      .union([z.literal(1), z.literal(1.5), z.literal(2)])
      .default(1)
      .meta({ label: 'Stop bits', choiceLabels: { '1.5': `1.5${WINDOWS_ONLY}` } }),
    /** Hardware flow control. */
    rtscts: z.boolean().default(false).meta({ label: 'RTS/CTS hardware flow control' }),
    /** DTR and RTS after opening; unset leaves what the driver does (many boards reset when DTR rises). */
    dtr: z.boolean().optional().meta({
      label: 'DTR after opening',
      choiceLabels: LINE_LEVELS,
      help: 'Many boards reset when DTR rises; on Linux opening the port already raises it.',
    }),
    rts: z.boolean().optional().meta({ label: 'RTS after opening', choiceLabels: LINE_LEVELS }),
    /** auto: binary when a layout is given, otherwise lines, each line's format detected. */
    framing: z.enum(['auto', 'lines', 'nmea', 'binary']).default('auto'),
    /** For lines: the Arduino plotter format, CSV (with or without a header), JSON objects or key=value. */
    lineDecoder: z.enum(['auto', 'plotter', 'csv', 'json', 'kv']).default('auto'),
    binary: BinaryLayout.optional(),
    /** Longer lines or frames go to quarantine. */
    maxFrameBytes: z
      .number()
      .int()
      .min(16)
      .max(1024 ** 2)
      .default(4096)
      .meta({
        label: 'Longest line or frame (bytes)',
        help: 'Longer ones go to quarantine (a wrong baud rate looks like that).',
      }),
    /** Raw traffic kept for the console, KiB. */
    consoleKiB: z
      .number()
      .int()
      .min(1)
      .max(16_384)
      .default(64) // not measured: ~5 s of traffic at 115,200 baud
      .meta({ label: 'Console buffer (KiB)', help: 'Raw traffic kept for the console view.' }),
    /** Keep every received byte in `recordings` for exact replay. */
    record: z.boolean().default(false).meta({
      label: 'Record every received byte',
      help: 'Keeps the raw stream for exact replay. Uses more disk.',
    }),
    masking: optInMaskingOption,
    timeZone: deviceClockOptions.timeZone.meta({
      label: 'Device time zone',
      placeholder: 'UTC',
      help: 'Device times written without a zone are read in this zone: UTC unless set. An IANA name such as Europe/Berlin follows daylight saving.',
    }),
    futureToleranceSeconds: deviceClockOptions.futureToleranceSeconds.meta({
      label: 'Future tolerance (s)',
      help: 'A device time further ahead of receive time is not believed: the data is stored at receive time.',
    }),
    /** Retry bounds while the device is away, with jitter. */
    reconnectMinMs: z
      .number()
      .int()
      .min(50)
      .max(600_000)
      .default(250)
      .meta({ label: 'Retry after (ms, min)' }),
    reconnectMaxMs: z
      .number()
      .int()
      .min(50)
      .max(3_600_000)
      .default(2_000)
      .meta({ label: 'Retry after (ms, max)' }),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.framing === 'binary' && !o.binary)
      ctx.addIssue({ code: 'custom', path: ['binary'], message: 'binary framing needs a layout' });
    if (o.rtscts && o.rts !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['rts'],
        message: 'with RTS/CTS flow control the driver drives RTS',
      });
  });
export type SerialOptions = z.infer<typeof SerialOptions>;

export const serialKind = defineSourceKind({
  kind: 'serial',
  label: 'Serial / USB device (Arduino, GPS, instruments)',
  options: SerialOptions,
  capabilities: { console: true, ports: true },
  hostAccess: (options) => `opens the device at options.path (${options.path})`,
});
