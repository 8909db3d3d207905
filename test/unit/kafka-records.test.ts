// The Kafka record-set reader against kafkajs's own encoder and decoder: record sets built as
// kafkajs's producer builds them, read by both, compared record by record; then hostile bytes.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DECOMPRESSED_BATCH_BYTES,
  readRecordSet,
  type AbortedTransaction,
  type PartitionRecords,
} from '../../electron/engine/sources/kafka/records';
import {
  encodeRecord,
  kafkajs,
  RecordBatch,
  type KafkajsEncoder,
  type KafkajsHeaders,
} from '../helpers/kafkajs-encoding';
import { completes } from './fuzz-support';

// kafkajs's internals (CommonJS, untyped): the parts these tests use beyond its encoder.
interface KafkajsMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
}
const Encoder = kafkajs('protocol/encoder') as new () => KafkajsEncoder;
const decodeMessages = kafkajs('protocol/requests/fetch/v4/decodeMessages') as (
  decoder: unknown,
) => Promise<KafkajsMessage[]>;
const Decoder = kafkajs('protocol/decoder') as new (buffer: Buffer) => unknown;
const Batch = kafkajs('consumer/batch') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: {
    partition: number;
    highWatermark: string;
    abortedTransactions: AbortedTransaction[];
    messages: KafkajsMessage[];
  },
) => { messages: KafkajsMessage[] };
const crc32C = kafkajs('protocol/recordBatch/crc32C') as (buffer: Buffer) => number;
const MessageV1 = (
  kafkajs('protocol/message') as (o: {
    version: number;
  }) => (m: object) => KafkajsEncoder & { size(): number }
)({
  version: 1,
});
const GZIP = 1;

/** What both readers are compared on: one record as kafkajs's consumer gives it. */
interface Compared {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkajsMessage['headers'];
}

/** kafkajs's consumer path: fetch v4+'s decodeMessages, then Batch (fetch-offset filter, read-committed, control records). */
async function viaKafkajs(
  set: Buffer,
  fetchOffset: number,
  aborted: AbortedTransaction[] = [],
): Promise<Compared[]> {
  const sized = new Encoder().writeInt32(set.length).writeBuffer(set).buffer;
  const messages = await decodeMessages(new Decoder(sized));
  const batch = new Batch('t', String(fetchOffset), {
    partition: 0,
    highWatermark: '0',
    abortedTransactions: aborted,
    messages,
  });
  return batch.messages.map(({ offset, timestamp, key, value, headers }) => ({
    offset,
    timestamp,
    key,
    value,
    headers,
  }));
}

const range = (buf: Buffer, from: number, to: number): Buffer | null =>
  from === -1 ? null : Buffer.from(buf.subarray(from, to));

/** The reader's output in kafkajs's shape (headers folded into an object, repeated names into arrays, as kafkajs does). */
function compared(r: PartitionRecords): Compared[] {
  const out: Compared[] = [];
  for (let i = 0; i < r.n; i++) {
    const buf = r.buffers[r.buffer[i]!]!;
    const headers: KafkajsMessage['headers'] = {};
    for (let h = r.headerFrom[i]!; h < r.headerTo[i]!; h++) {
      const name = buf.toString('utf8', r.headerNameStart[h], r.headerNameEnd[h]);
      const value = range(buf, r.headerValueStart[h]!, r.headerValueEnd[h]!);
      const seen = headers[name];
      headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    out.push({
      offset: String(r.offset[i]),
      timestamp: String(r.timestamp[i]),
      key: range(buf, r.keyStart[i]!, r.keyEnd[i]!),
      value: range(buf, r.valueStart[i]!, r.valueEnd[i]!),
      headers,
    });
  }
  return out;
}

interface RecordSpec {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: KafkajsHeaders;
}
interface BatchSpec {
  firstOffset: number;
  records: RecordSpec[];
  lastOffsetDelta?: number;
  gzip?: boolean;
  firstTimestamp?: number;
  maxTimestamp?: number;
  transactional?: boolean;
  producerId?: string;
}

/** A batch as kafkajs's producer encodes it (produce v3+ request: Record + RecordBatch). */
async function batch(spec: BatchSpec, raw?: KafkajsEncoder[]): Promise<Buffer> {
  const records = raw ?? spec.records.map((r) => encodeRecord(r));
  const encoded = await RecordBatch({
    compression: spec.gzip ? GZIP : 0,
    firstOffset: String(spec.firstOffset),
    firstTimestamp: spec.firstTimestamp ?? 1_700_000_000_000,
    maxTimestamp: spec.maxTimestamp ?? 1_700_000_000_999,
    lastOffsetDelta: spec.lastOffsetDelta ?? Math.max(0, ...spec.records.map((r) => r.offsetDelta)),
    transactional: spec.transactional ?? false,
    producerId: spec.producerId ?? '-1',
    records,
  });
  return encoded.buffer;
}

/** Sets attribute bits kafkajs's producer never sets (LogAppendTime, control) and recomputes the CRC. */
function withAttributes(batchBytes: Buffer, bits: number): Buffer {
  const out = Buffer.from(batchBytes);
  out.writeInt16BE(out.readInt16BE(21) | bits, 21);
  out.writeUInt32BE(crc32C(out.subarray(21)) >>> 0, 17);
  return out;
}

/** A record encoded field by field (kafkajs's Record cannot write a null header value). */
function rawRecord(
  offsetDelta: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: [string, Buffer | null][],
): KafkajsEncoder {
  const body = new Encoder()
    .writeInt8(0)
    .writeVarLong(0)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value);
  body.writeVarInt(headers.length);
  for (const [name, v] of headers) body.writeVarIntString(name).writeVarIntBytes(v);
  return new Encoder().writeVarInt(body.buffer.length).writeEncoder(body);
}

const LOG_APPEND_TIME = 0x08;
const CONTROL = 0x20;
const ABORT = 0;
const COMMIT = 1;

/** A control batch with one ABORT or COMMIT marker, as a transaction coordinator writes it. */
async function marker(offset: number, producerId: string, type: number): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  const value = Buffer.from([0, 0, 0, 0, 0, 7]); // version int16, coordinator epoch int32
  const bytes = await batch({ firstOffset: offset, records: [], transactional: true, producerId }, [
    rawRecord(0, key, value, []),
  ]);
  return withAttributes(bytes, CONTROL);
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const simple = (firstOffset: number, count: number, extra: Partial<BatchSpec> = {}): Promise<Buffer> =>
  batch({
    firstOffset,
    records: Array.from({ length: count }, (_, i) => ({
      offsetDelta: i,
      timestampDelta: i * 10,
      key: text(`k${firstOffset + i}`),
      value: text(`{"n":${firstOffset + i}}`),
    })),
    ...extra,
  });

const txn = (firstOffset: number, producerId: string, count: number): Promise<Buffer> =>
  simple(firstOffset, count, { transactional: true, producerId });

/** What every result must satisfy, whatever the input: counts agree, every range lies inside its buffer. */
function expectConsistent(
  r: PartitionRecords,
  input: Buffer,
  start: number,
  end: number,
  fetchOffset: number,
): void {
  for (const a of [
    r.buffer,
    r.offset,
    r.timestamp,
    r.keyStart,
    r.keyEnd,
    r.valueStart,
    r.valueEnd,
    r.headerFrom,
    r.headerTo,
  ]) {
    expect(a.length).toBe(r.n);
  }
  for (const a of [r.headerNameStart, r.headerNameEnd, r.headerValueStart, r.headerValueEnd])
    expect(a.length).toBe(r.headers);
  expect(r.buffers[0]).toBe(input);
  expect(r.next).toBeGreaterThanOrEqual(fetchOffset);
  const inside = (buf: Buffer, from: number, to: number, nullable: boolean): void => {
    if (nullable && from === -1) return expect(to).toBe(-1);
    expect(from).toBeGreaterThanOrEqual(buf === input ? start : 0);
    expect(to).toBeGreaterThanOrEqual(from);
    expect(to).toBeLessThanOrEqual(buf === input ? end : buf.length);
  };
  let headersSeen = 0;
  for (let i = 0; i < r.n; i++) {
    const buf = r.buffers[r.buffer[i]!];
    expect(buf).toBeDefined();
    expect(r.offset[i]).toBeGreaterThanOrEqual(fetchOffset);
    inside(buf!, r.keyStart[i]!, r.keyEnd[i]!, true);
    inside(buf!, r.valueStart[i]!, r.valueEnd[i]!, true);
    expect(r.headerFrom[i]).toBe(headersSeen);
    expect(r.headerTo[i]).toBeGreaterThanOrEqual(r.headerFrom[i]!);
    for (let h = r.headerFrom[i]!; h < r.headerTo[i]!; h++) {
      inside(buf!, r.headerNameStart[h]!, r.headerNameEnd[h]!, false);
      inside(buf!, r.headerValueStart[h]!, r.headerValueEnd[h]!, true);
    }
    headersSeen = r.headerTo[i]!;
  }
  expect(headersSeen).toBe(r.headers);
  for (const bad of r.bad) {
    expect(bad.reason).toMatch(/^(batch|messages) at (offsets? -?\d+|byte \d+)/);
    expect(bad.bytes.length).toBeGreaterThan(0);
    expect(bad.bytes.buffer).toBe(input.buffer);
    expect(bad.bytes.byteOffset).toBeGreaterThanOrEqual(input.byteOffset + start);
    expect(bad.bytes.byteOffset + bad.bytes.length).toBeLessThanOrEqual(input.byteOffset + end);
  }
}

async function expectSameAsKafkajs(
  set: Buffer,
  fetchOffset: number,
  aborted: AbortedTransaction[] = [],
): Promise<PartitionRecords> {
  const r = readRecordSet(set, 0, set.length, fetchOffset, aborted);
  expectConsistent(r, set, 0, set.length, fetchOffset);
  expect(r.bad).toEqual([]);
  expect(compared(r)).toEqual(await viaKafkajs(set, fetchOffset, aborted));
  return r;
}

describe('readRecordSet reads what kafkajs reads', () => {
  it('random keys, values and headers, in several batches, plain and gzip, from any fetch offset', async () => {
    const bytesOrNull = fc.option(
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      { freq: 4 },
    );
    const headerName = fc.string({ maxLength: 8 }).filter((s) => !(s in {})); // kafkajs folds headers into a {}: a header named `constructor` comes out as [Object, value]
    const recordArb = fc.record({
      timestampDelta: fc.integer({ min: -2_000_000, max: 2_000_000 }),
      key: bytesOrNull,
      value: bytesOrNull,
      headers: fc.dictionary(
        headerName,
        fc.oneof(
          fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
          fc.array(
            fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)),
            { minLength: 1, maxLength: 3 },
          ),
        ),
        { maxKeys: 3 },
      ),
      gapAfter: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 })),
    });
    const batchArb = fc.record({
      records: fc.array(recordArb, { minLength: 1, maxLength: 8 }),
      gzip: fc.boolean(),
      trailingGap: fc.integer({ min: 0, max: 3 }),
      firstTimestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.nat(),
        async (batches, base, at) => {
          const parts: Buffer[] = [];
          let offset = base;
          for (const b of batches) {
            let delta = 0;
            const records = b.records.map((r) => {
              const spec = { ...r, offsetDelta: delta };
              delta += 1 + r.gapAfter; // compacted away
              return spec;
            });
            const lastOffsetDelta = records.at(-1)!.offsetDelta + b.trailingGap;
            parts.push(
              await batch({
                firstOffset: offset,
                records,
                gzip: b.gzip,
                lastOffsetDelta,
                firstTimestamp: b.firstTimestamp,
              }),
            );
            offset += lastOffsetDelta + 1;
          }
          const set = Buffer.concat(parts);
          const fetchOffset = base + (at % (offset - base + 1));
          const r = await expectSameAsKafkajs(set, fetchOffset);
          expect(r.next).toBe(Math.max(offset, fetchOffset));
          expect(r.cutShort).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('null keys, null values, empty values and a null header value', async () => {
    const records = [
      rawRecord(0, null, text('v'), []),
      rawRecord(1, text('k'), null, []),
      rawRecord(2, text(''), text(''), []),
      rawRecord(3, null, null, [
        ['a', null],
        ['a', text('x')],
        ['b', text('')],
      ]),
    ];
    const set = await batch(
      { firstOffset: 40, records: [{ offsetDelta: 3, timestampDelta: 0, key: null, value: null }] },
      records,
    );
    const r = await expectSameAsKafkajs(set, 0);
    expect(r.n).toBe(4);
    expect([r.keyStart[0], r.keyEnd[0]]).toEqual([-1, -1]);
    expect([r.valueStart[1], r.valueEnd[1]]).toEqual([-1, -1]);
    expect(r.keyStart[2]).toBe(r.keyEnd[2]);
    expect(r.keyStart[2]).not.toBe(-1);
    expect(r.valueStart[2]).toBe(r.valueEnd[2]);
    expect(r.valueStart[2]).not.toBe(-1);
    // Headers stay a list in their order, repeated names and all.
    expect([r.headerFrom[3], r.headerTo[3]]).toEqual([0, 3]);
    expect([r.headerValueStart[0], r.headerValueEnd[0]]).toEqual([-1, -1]);
    expect(set.toString('utf8', r.headerValueStart[1], r.headerValueEnd[1])).toBe('x');
    expect(r.headerValueStart[2]).toBe(r.headerValueEnd[2]);
  });

  it('lengths and deltas of 3 to 5 varint bytes (and a timestamp delta beyond int32)', async () => {
    const big = (size: number, fill: number): Buffer => Buffer.alloc(size, fill);
    const records = [
      { offsetDelta: 0, timestampDelta: -3_000_000_000, key: big(300, 1), value: big(20_000, 2) },
      {
        offsetDelta: 70_000,
        timestampDelta: 5_000_000_000,
        key: null,
        value: big(2_100_000, 3),
        headers: { h: big(9_000, 4) },
      },
      { offsetDelta: 300_000_000, timestampDelta: 1, key: big(8_192, 5), value: big(8_191, 6) },
    ];
    const set = Buffer.concat([
      await batch({ firstOffset: 5, records, firstTimestamp: 1_700_000_000_000 }),
      await simple(300_000_006, 1),
    ]);
    const r = await expectSameAsKafkajs(set, 0);
    expect([...r.offset]).toEqual([5, 70_005, 300_000_005, 300_000_006]);
    expect(r.timestamp[0]).toBe(1_700_000_000_000 - 3_000_000_000);
  });

  it('LogAppendTime: every record has the batch maxTimestamp', async () => {
    const set = withAttributes(
      await simple(0, 3, { firstTimestamp: 1000, maxTimestamp: 1_700_000_123_456 }),
      LOG_APPEND_TIME,
    );
    const r = await expectSameAsKafkajs(set, 0);
    expect([...r.timestamp]).toEqual([1_700_000_123_456, 1_700_000_123_456, 1_700_000_123_456]);
    const createTime = readRecordSet(await simple(0, 3, { firstTimestamp: 1000 }), 0, Infinity, 0, null);
    expect([...createTime.timestamp]).toEqual([1000, 1010, 1020]);
  });

  it('a fetch offset inside a batch skips the records before it, and next passes the batch', async () => {
    const set = Buffer.concat([await simple(10, 5), await simple(15, 5, { gzip: true })]);
    for (const fetchOffset of [12, 17, 19]) {
      const r = await expectSameAsKafkajs(set, fetchOffset);
      expect(r.offset[0]).toBe(fetchOffset);
      expect(r.n).toBe(20 - fetchOffset);
      expect(r.next).toBe(20);
    }
    const past = await expectSameAsKafkajs(set, 25);
    expect([past.n, past.next]).toEqual([0, 25]);
  });

  it('a batch cut short at the end (fetch maxBytes) is left for the next fetch', async () => {
    const whole = Buffer.concat([await simple(0, 3), await simple(3, 4)]);
    const second = (await simple(3, 4)).length;
    for (const cut of [1, 5, second - 12, second - 13, second - 1]) {
      const set = whole.subarray(0, whole.length - cut);
      const r = await expectSameAsKafkajs(set, 0);
      expect([r.n, r.next, r.cutShort]).toEqual([3, 3, true]);
    }
    const nothingWhole = readRecordSet(whole, 0, 40, 7, null);
    expect([nothingWhole.n, nothingWhole.next, nothingWhole.cutShort, nothingWhole.bad]).toEqual([
      0,
      7,
      true,
      [],
    ]);
  });

  it('start and end bound what is read: a record set inside a larger response', async () => {
    const set = await simple(100, 4);
    const response = Buffer.concat([Buffer.from('envelope…'), set, Buffer.from('more envelope')]);
    const start = Buffer.byteLength('envelope…');
    const r = readRecordSet(response, start, start + set.length, 100, null);
    expectConsistent(r, response, start, start + set.length, 100);
    expect(compared(r)).toEqual(await viaKafkajs(set, 100));
  });

  it('compacted gaps: next is past lastOffsetDelta, also for a batch compacted to no records', async () => {
    const gappy = await batch({
      firstOffset: 50,
      lastOffsetDelta: 9,
      records: [
        { offsetDelta: 0, timestampDelta: 0, key: text('a'), value: text('1') },
        { offsetDelta: 4, timestampDelta: 0, key: text('b'), value: text('2') },
      ],
    });
    const empty = await batch({ firstOffset: 60, lastOffsetDelta: 4, records: [] }, []);
    const r = await expectSameAsKafkajs(Buffer.concat([gappy, empty]), 50);
    expect([...r.offset]).toEqual([50, 54]);
    expect(r.next).toBe(65);
    expect(readRecordSet(gappy, 0, gappy.length, 55, null).next).toBe(60);
  });

  it('many records and headers grow the arrays (a gzip batch holds more than the bytes suggest)', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({
      offsetDelta: i,
      timestampDelta: 0,
      key: null,
      value: text(''),
      headers: { h: text('1'), g: [text('2'), text('3')] },
    }));
    const set = await batch({ firstOffset: 0, records, gzip: true });
    const r = await expectSameAsKafkajs(set, 0);
    expect([r.n, r.headers, r.buffers.length]).toEqual([3000, 9000, 2]);
  });
});

describe('read-committed: control batches and aborted transactions', () => {
  it('drops an aborted transaction up to its ABORT marker, keeps committed ones, never returns control records', async () => {
    const set = Buffer.concat([
      await txn(0, '7', 3), // aborted
      await simple(3, 2), // not transactional: kept
      await txn(5, '8', 2), // committed
      await marker(7, '7', ABORT),
      await marker(8, '8', COMMIT),
      await txn(9, '7', 2), // producer 7's next transaction: committed
      await marker(11, '7', COMMIT),
    ]);
    const aborted = [{ producerId: '7', firstOffset: '0' }];
    const r = await expectSameAsKafkajs(set, 0, aborted);
    expect([...r.offset]).toEqual([3, 4, 5, 6, 9, 10]);
    expect(r.next).toBe(12);
    // Without the aborted list (read-uncommitted) only the control records go.
    expect([...readRecordSet(set, 0, set.length, 0, null).offset]).toEqual([0, 1, 2, 3, 4, 5, 6, 9, 10]);
  });

  it('two producers aborting at once, gzip, and producer ids beyond 2^53 told apart exactly', async () => {
    const big = '9007199254740993'; // 2^53 + 1: as a Number it would equal 2^53
    const bigNeighbour = '9007199254740992';
    const set = Buffer.concat([
      await simple(0, 2, { transactional: true, producerId: big, gzip: true }),
      await simple(2, 2, { transactional: true, producerId: bigNeighbour }),
      await simple(4, 2, { transactional: true, producerId: '3' }),
      await marker(6, big, ABORT),
      await marker(7, '3', ABORT),
      await marker(8, bigNeighbour, COMMIT),
      await simple(9, 1, { transactional: true, producerId: '3' }),
    ]);
    const aborted = [
      { producerId: big, firstOffset: '0' },
      { producerId: '3', firstOffset: '4' },
    ];
    const r = await expectSameAsKafkajs(set, 0, aborted);
    expect([...r.offset]).toEqual([2, 3, 9]);
  });

  it('an aborted transaction that starts after the fetch offset, and a fetch offset past the abort marker', async () => {
    const set = Buffer.concat([
      await simple(0, 2),
      await txn(2, '5', 2),
      await marker(4, '5', ABORT),
      await txn(5, '5', 1),
    ]);
    const aborted = [{ producerId: '5', firstOffset: '2' }];
    expect([...(await expectSameAsKafkajs(set, 1, aborted)).offset]).toEqual([1, 5]);
    expect([...(await expectSameAsKafkajs(set, 5, [])).offset]).toEqual([5]);
  });
});

describe('where kafkajs is wrong, this reader follows Kafka (Java client)', () => {
  it("a data record whose key is 00 00 00 00 does not end its producer's aborted transaction", async () => {
    const zeroKey = Buffer.alloc(4);
    const records = [text('k0'), zeroKey, text('k2')].map((key, i) => ({
      offsetDelta: i,
      timestampDelta: 0,
      key,
      value: text('v'),
    }));
    const set = Buffer.concat([
      await batch({ firstOffset: 0, records, transactional: true, producerId: '7' }),
      await marker(3, '7', ABORT),
    ]);
    const aborted = [{ producerId: '7', firstOffset: '0' }];
    // kafkajs's filterAbortedMessages takes any record with that key for an ABORT marker.
    expect((await viaKafkajs(set, 0, aborted)).map((m) => m.offset)).toEqual(['1', '2']);
    expect(readRecordSet(set, 0, set.length, 0, aborted).n).toBe(0);
  });

  it('two aborted transactions begun before the fetch offset are both in force from its first record', async () => {
    const set = Buffer.concat([
      await txn(0, '1', 1),
      await txn(1, '2', 1),
      await txn(2, '2', 1),
      await txn(3, '1', 1),
      await marker(4, '1', ABORT),
      await marker(5, '2', ABORT),
    ]);
    const aborted = [
      { producerId: '1', firstOffset: '0' },
      { producerId: '2', firstOffset: '1' },
    ];
    // kafkajs starts at most one aborted transaction per record it reads, so producer 2's record 2 got through.
    expect((await viaKafkajs(set, 2, aborted)).map((m) => m.offset)).toEqual(['2']);
    expect(readRecordSet(set, 0, set.length, 2, aborted).n).toBe(0);
  });
});

/** A v1 MessageSet entry (Kafka 0.10): offset, size, message. */
function oldMessage(offset: number, value: string): Buffer {
  const message = MessageV1({ key: null, value: text(value), timestamp: 1 });
  return new Encoder().writeInt64(offset).writeInt32(message.buffer.length).writeEncoder(message).buffer;
}

describe('what cannot be read becomes a bad entry, and reading goes on', () => {
  it('old message formats: one entry for a run of them, then the v2 batches after them', async () => {
    const set = Buffer.concat([
      oldMessage(0, 'a'),
      oldMessage(1, 'b'),
      oldMessage(2, 'c'),
      await simple(3, 2),
    ]);
    const r = readRecordSet(set, 0, set.length, 0, null);
    expectConsistent(r, set, 0, set.length, 0);
    expect(r.bad).toHaveLength(1);
    expect(r.bad[0]!.reason).toBe(
      'messages at offsets 0–2: message format v1 (Kafka before 0.11) is not supported',
    );
    expect(r.bad[0]!.bytes).toEqual(set.subarray(0, set.length - (await simple(3, 2)).length));
    expect([...r.offset]).toEqual([3, 4]);
    expect(r.next).toBe(5);
    const one = readRecordSet(oldMessage(5, 'x'), 0, Infinity, 0, null);
    expect(one.bad.map((b) => b.reason)).toEqual([
      'batch at offset 5: message format v1 (Kafka before 0.11) is not supported',
    ]);
    expect(one.next).toBe(6);
  });

  it('a batch whose records do not decompress, or an unknown codec, is quarantined with its bytes; the next batch is read', async () => {
    const after = await simple(1210, 1);
    for (const [codec, reason] of [
      [2, /^batch at offset 1200: snappy records cannot be decompressed \(snappy: .+\)$/],
      [3, /^batch at offset 1200: lz4 records cannot be decompressed \(lz4: .+\)$/],
      [4, /^batch at offset 1200: zstd records cannot be decompressed \(zstd: .+\)$/],
      [6, /^batch at offset 1200: unknown compression codec 6$/],
    ] as const) {
      // Uncompressed records marked as compressed.
      const unreadable = withAttributes(await simple(1200, 10), codec);
      const set = Buffer.concat([unreadable, after]);
      const r = readRecordSet(set, 0, set.length, 1200, null);
      expectConsistent(r, set, 0, set.length, 1200);
      expect(r.bad).toHaveLength(1);
      expect(r.bad[0]).toMatchObject({ offset: 1200, bytes: unreadable });
      expect(r.bad[0]!.reason).toMatch(reason);
      expect([...r.offset]).toEqual([1210]);
      expect(r.next).toBe(1211);
    }
  });

  it('gzip that does not decompress, and gzip that decompresses past the limit', async () => {
    const broken = Buffer.from(await simple(0, 3, { gzip: true }));
    broken.fill(0x55, 70); // the compressed stream after its first bytes
    const r = readRecordSet(broken, 0, broken.length, 0, null);
    expect(r.bad[0]!.reason).toMatch(/^batch at offset 0: gzip records cannot be decompressed \(.+\)$/);
    expect([r.n, r.next]).toEqual([0, 3]);

    const header = await simple(0, 1);
    const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BATCH_BYTES + 1));
    const bombBatch = Buffer.concat([header.subarray(0, 61), bomb]);
    bombBatch.writeInt32BE(bombBatch.length - 12, 8);
    const zipBomb = withAttributes(bombBatch, GZIP);
    const z = readRecordSet(zipBomb, 0, zipBomb.length, 0, null);
    expect(z.bad.map((b) => b.reason)).toEqual([
      'batch at offset 0: gzip records decompress to more than 64 MiB',
    ]);
  });

  it('malformed batches say what was wrong', async () => {
    const good = await simple(9, 5);
    const cases: [string, (b: Buffer) => void, string | RegExp][] = [
      // The 4th record's length (its first byte: lengths here are one byte) made to claim 63 bytes.
      [
        'record past the end',
        (b) => (b[recordAt(b, 3)] = 0x7e),
        "batch at offset 9: record 3 runs past the batch's end",
      ],
      [
        'negative record length',
        (b) => (b[recordAt(b, 1)] = 0x01),
        'batch at offset 9: record 1 has a negative length -1',
      ],
      [
        'recordCount lies (more)',
        (b) => b.writeInt32BE(6, 57),
        "batch at offset 9: record 5 runs past the batch's end",
      ],
      [
        'recordCount lies (fewer)',
        (b) => b.writeInt32BE(4, 57),
        'batch at offset 9: 18 bytes after its 4 records (recordCount is wrong)',
      ],
      [
        'recordCount impossible',
        (b) => b.writeInt32BE(1e9, 57),
        /^batch at offset 9: recordCount 1000000000 cannot fit/,
      ],
      ['negative recordCount', (b) => b.writeInt32BE(-2, 57), 'batch at offset 9: negative recordCount -2'],
      [
        'negative lastOffsetDelta',
        (b) => b.writeInt32BE(-3, 23),
        'batch at offset 9: negative lastOffsetDelta -3',
      ],
      ['unknown magic', (b) => (b[16] = 3), 'batch at offset 9: unknown message format (magic byte 3)'],
      [
        'key past the record',
        (b) => (b[recordAt(b, 0) + 4] = 0x7e),
        "batch at offset 9: record 0's key runs past the record's end",
      ],
      [
        'bytes after headers',
        (b) => (b[recordAt(b, 2)] = 36),
        'batch at offset 9: record 2 has 1 byte after its headers',
      ],
    ];
    for (const [what, corrupt, reason] of cases) {
      const bytes = Buffer.from(good);
      corrupt(bytes);
      const set = Buffer.concat([bytes, await simple(14, 1)]);
      const r = readRecordSet(set, 0, set.length, 0, null);
      expectConsistent(r, set, 0, set.length, 0);
      expect(r.bad, what).toHaveLength(1);
      if (typeof reason === 'string') expect(r.bad[0]!.reason, what).toBe(reason);
      else expect(r.bad[0]!.reason, what).toMatch(reason);
      expect(r.bad[0]!.bytes, what).toEqual(bytes);
      expect([...r.offset], what).toEqual([14]);
    }
  });

  it('varints of too many bytes, and a negative batch length', async () => {
    const long = await batch({ firstOffset: 0, records: [] }, [
      new Encoder()
        .writeVarInt(12)
        .writeBuffer(Buffer.from([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0])),
    ]);
    expect(readRecordSet(long, 0, long.length, 0, null).bad.map((b) => b.reason)).toEqual([
      'batch at offset 0: record 0: its timestamp delta is a varint of too many bytes',
    ]);
    const longInt = await batch({ firstOffset: 0, records: [] }, [
      new Encoder().writeVarInt(9).writeBuffer(Buffer.from([0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0])),
    ]);
    expect(readRecordSet(longInt, 0, longInt.length, 0, null).bad.map((b) => b.reason)).toEqual([
      'batch at offset 0: record 0: its offset delta is a varint of too many bytes',
    ]);
    const negative = Buffer.concat([await simple(0, 1), await simple(1, 1)]);
    negative.writeInt32BE(-5, 8);
    const r = readRecordSet(negative, 0, negative.length, 0, null);
    expect(r.bad).toEqual([{ offset: 0, bytes: negative, reason: 'batch at offset 0: negative length -5' }]);
    expect([r.n, r.next]).toEqual([0, 1]);
  });
});

/** Where record `index` of an uncompressed batch starts (walks the records' length varints; one-byte lengths). */
function recordAt(b: Buffer, index: number): number {
  let p = 61;
  for (let i = 0; i < index; i++) p += 1 + (b[p]! >> 1);
  return p;
}

describe('hostile bytes', () => {
  it('arbitrary bytes never throw, hang or break the invariants', () => {
    const header = fc.record({
      offset: fc.integer({ min: -5, max: 1e12 }),
      length: fc.integer({ min: -3, max: 300 }),
      magic: fc.integer({ min: -1, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), header.map(batchHeaderBytes)), { maxLength: 6 }),
        fc.integer({ min: -2, max: 100 }),
        (parts, fetchOffset) => {
          const input = Buffer.concat(parts);
          const r = completes(
            () => readRecordSet(input, 0, input.length, fetchOffset, [{ producerId: '1', firstOffset: '0' }]),
            'readRecordSet',
          );
          expectConsistent(r, input, 0, input.length, fetchOffset);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('truncations and byte flips of valid record sets never throw, and batches before the damage are read as before', async () => {
    const batches = [
      await simple(0, 4),
      await simple(4, 3, { gzip: true }),
      await batch({
        firstOffset: 7,
        records: [
          { offsetDelta: 0, timestampDelta: 3, key: null, value: text('v'), headers: { a: text('b') } },
        ],
      }),
      await txn(8, '2', 2),
      await marker(10, '2', ABORT),
    ];
    const set = Buffer.concat(batches);
    const ends = batches.map((_, i) => Buffer.concat(batches.slice(0, i + 1)).length);
    const intact = await viaKafkajs(set, 0);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(set.length - 1), xor: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: set.length }),
        async (flips, length) => {
          const damaged = Buffer.from(set.subarray(0, length));
          for (const { at, xor } of flips) if (at < length) damaged[at]! ^= xor;
          const r = completes(
            () => readRecordSet(damaged, 0, damaged.length, 0, [{ producerId: '2', firstOffset: '8' }]),
            'readRecordSet',
          );
          expectConsistent(r, damaged, 0, damaged.length, 0);
          const firstDamage = Math.min(length, ...flips.map((f) => f.at));
          const untouched = ends.filter((e) => e <= firstDamage).length;
          const recordsBefore = [4, 7, 8, 8, 8][untouched - 1] ?? 0;
          expect(compared(r).slice(0, recordsBefore)).toEqual(
            intact.filter((m) => Number(m.offset) < recordsBefore),
          );
        },
      ),
      { numRuns: 1500 },
    );
  });
});

function batchHeaderBytes(h: { offset: number; length: number; magic: number }): Uint8Array {
  const b = Buffer.alloc(17);
  b.writeBigInt64BE(BigInt(h.offset), 0);
  b.writeInt32BE(h.length, 8);
  b.writeInt8(h.magic, 16);
  return b;
}
