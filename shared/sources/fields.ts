// Fields every kind of source may use: ids, secret names, device clocks, decoder names.
import { z } from 'zod';
import '../field-hints';
import { isTimeZone } from '../time-zones';

/** Identifier used in channel names and file names: no spaces, slashes or dots. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"');

/**
 * A reference to a secret (broker password, key passphrase). The workspace holds only the name;
 * the value lives in the OS key store (desktop), the environment (`OPSDECK_SECRET_<NAME>`, with the
 * name upper-cased and non-alphanumerics as `_`) or the engine's memory for this session.
 */
export const SecretRef = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'a secret name: letters, digits, "_", ".", ":" or "-"')
  .meta({ secret: true });

/** The environment variable that holds a secret for the CLI and `opsdeck serve`. */
export function secretEnvName(name: string): string {
  return `OPSDECK_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** An IANA zone name (daylight saving follows it) or UTC, checked against this runtime's zone data. */
export const TimeZoneName = z
  .string()
  .min(1)
  .max(64)
  .refine(
    isTimeZone,
    'not a time zone: use an IANA name such as "Europe/Berlin" or "America/New_York", or "UTC"',
  );

/**
 * How device clocks are read: the zone of times written without one, and how far ahead is
 * believed. Each kind labels them in its own words.
 */
export const deviceClockOptions = {
  /** The zone of device times that carry none (`"2026-11-29T18:10:43"`): UTC unless set. */
  timeZone: TimeZoneName.default('UTC'),
  /**
   * A device time further ahead of receive time than this is not believed: the data is stored at
   * receive time, the device's time kept in the record, and counted. Times before 2000 likewise.
   */
  futureToleranceSeconds: z.number().min(0).max(31_536_000).default(300),
};

/** Reconnect backoff bounds (with jitter) of a network source: MQTT, Kafka. */
export const networkReconnectOptions = {
  reconnectMinMs: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(500)
    .meta({ label: 'Reconnect backoff min (ms)', advanced: true }),
  reconnectMaxMs: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(30_000)
    .meta({ label: 'Reconnect backoff max (ms)', advanced: true }),
};

export const DECODER_NAMES = ['auto', 'number', 'json', 'csv', 'kv', 'text', 'sparkplug', 'raw'] as const;
export const DecoderName = z.enum(DECODER_NAMES);
export type DecoderName = z.infer<typeof DecoderName>;
