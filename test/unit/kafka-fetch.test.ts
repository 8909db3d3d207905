// The Fetch response reader (fetch.ts): the envelope of versions 4–11 around each partition's
// record bytes (read by records.ts), built here field by field as the broker writes them; then
// hostile bytes, which end in a clear error and nothing else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFetchResponse } from '../../electron/engine/sources/kafka/fetch';
import { encodeRecord, RecordBatch } from '../helpers/kafkajs-encoding';

async function recordSet(firstOffset: number, values: string[]): Promise<Buffer> {
  const batch = await RecordBatch({
    firstOffset: String(firstOffset),
    firstTimestamp: 1_764_500_000_000,
    lastOffsetDelta: values.length - 1,
    records: values.map((v, i) =>
      encodeRecord({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(v) }),
    ),
  });
  return batch.buffer;
}

/** Big-endian fields, as a broker writes them. */
class Writer {
  private parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    return this.push(b);
  }
  string(s: string): this {
    return this.int16(Buffer.byteLength(s)).push(Buffer.from(s));
  }
  push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface PartitionData {
  partition: number;
  errorCode?: number;
  highWatermark: bigint;
  aborted?: { producerId: bigint; firstOffset: bigint }[];
  records: Buffer | null;
}

function response(version: number, topics: { name: string; partitions: PartitionData[] }[]): Buffer {
  const w = new Writer().int32(7); // throttle time
  if (version >= 7) w.int16(0).int32(0); // error code, session id
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t.name).int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.partition)
        .int16(p.errorCode ?? 0)
        .int64(p.highWatermark)
        .int64(p.highWatermark);
      if (version >= 5) w.int64(0n); // log start offset
      const aborted = p.aborted ?? [];
      w.int32(aborted.length);
      for (const a of aborted) w.int64(a.producerId).int64(a.firstOffset);
      if (version >= 11) w.int32(-1); // preferred read replica
      if (p.records === null) w.int32(-1);
      else w.int32(p.records.length).push(p.records);
    }
  }
  return w.done();
}

const text = (b: Buffer, start: number, end: number) => b.toString('utf8', start, end);

describe('readFetchResponse', () => {
  it.each([4, 5, 6, 7, 8, 9, 10, 11])(
    'reads version %i: partitions, their fields and their records',
    async (version) => {
      const records0 = await recordSet(40, ['{"a":1}', '{"a":2}', '{"a":3}']);
      const records1 = await recordSet(7, ['x', 'y']);
      const raw = response(version, [
        {
          name: 'events',
          partitions: [
            {
              partition: 0,
              highWatermark: 43n,
              records: records0,
              aborted: [{ producerId: 2n ** 62n, firstOffset: 5n }],
            },
            { partition: 1, highWatermark: 9n, records: records1 },
            { partition: 2, highWatermark: 0n, records: null },
          ],
        },
      ]);
      // Partition 0 asked from offset 41: the record at 40 is left out.
      const fetched = readFetchResponse(
        version,
        raw,
        new Map([
          ['events:0', 41],
          ['events:1', 7],
        ]),
      );
      expect(fetched.clientSideThrottleTime).toBe(7);
      expect(fetched.responses).toHaveLength(1);
      const [p0, p1, p2] = fetched.responses[0]!.partitions;
      expect(fetched.responses[0]!.topicName).toBe('events');
      expect(p0).toMatchObject({ partition: 0, errorCode: 0, highWatermark: '43', lastStableOffset: '43' });
      expect(p0!.abortedTransactions).toEqual([{ producerId: String(2n ** 62n), firstOffset: '5' }]);
      const r0 = p0!.records!;
      expect(r0.n).toBe(2);
      expect([...r0.offset.subarray(0, r0.n)]).toEqual([41, 42]);
      const b0 = r0.buffers[r0.buffer[0]!]!;
      expect(text(b0, r0.valueStart[0]!, r0.valueEnd[0]!)).toBe('{"a":2}');
      expect(text(b0, r0.keyStart[1]!, r0.keyEnd[1]!)).toBe('k2');
      expect(r0.next).toBe(43);
      const r1 = p1!.records!;
      expect(r1.n).toBe(2);
      expect(text(r1.buffers[r1.buffer[1]!]!, r1.valueStart[1]!, r1.valueEnd[1]!)).toBe('y');
      expect(p2!.records).toBeNull();
    },
  );

  it('says where a response ends too soon, and nothing else escapes on any bytes', async () => {
    const whole = response(11, [
      {
        name: 'events',
        partitions: [{ partition: 0, highWatermark: 3n, records: await recordSet(0, ['a', 'b', 'c']) }],
      },
    ]);
    for (let cut = 0; cut < whole.length; cut++) {
      let error: unknown = null;
      try {
        readFetchResponse(11, whole.subarray(0, cut), new Map());
      } catch (e) {
        error = e;
      }
      // Cut inside the envelope: an error naming the byte; cut inside the records: a claim past the end.
      expect(error, `cut at ${cut}`).toBeInstanceOf(Error);
      expect((error as Error).message, `cut at ${cut}`).toMatch(/^Kafka fetch response/);
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 11 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (version, bytes, flips) => {
          // Arbitrary bytes, and the valid response with bytes changed.
          const changed = Buffer.from(whole);
          for (const [at, value] of flips) changed[at % changed.length] = value;
          for (const raw of [Buffer.from(bytes), changed])
            try {
              const out = readFetchResponse(version, raw, new Map());
              for (const t of out.responses)
                for (const p of t.partitions)
                  if (p.records)
                    for (let i = 0; i < p.records.n; i++) {
                      const b = p.records.buffers[p.records.buffer[i]!]!;
                      expect(p.records.valueEnd[i]!).toBeLessThanOrEqual(b.length);
                    }
            } catch (e) {
              expect((e as Error).message).toMatch(/^Kafka fetch response/);
            }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
