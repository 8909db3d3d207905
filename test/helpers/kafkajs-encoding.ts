// kafkajs's own record-batch encoder (CommonJS internals, untyped), which the Kafka reader's tests
// build their record sets with: bytes as kafkajs's producer writes them.
import { createRequire } from 'node:module';

export interface KafkajsEncoder {
  buffer: Buffer;
  writeInt8(v: number): KafkajsEncoder;
  writeInt16(v: number): KafkajsEncoder;
  writeInt32(v: number): KafkajsEncoder;
  writeInt64(v: number | string): KafkajsEncoder;
  writeVarInt(v: number): KafkajsEncoder;
  writeVarLong(v: number): KafkajsEncoder;
  writeVarIntBytes(v: Buffer | string | null): KafkajsEncoder;
  writeVarIntString(v: string): KafkajsEncoder;
  writeBuffer(v: Buffer): KafkajsEncoder;
  writeEncoder(v: KafkajsEncoder): KafkajsEncoder;
}
export type KafkajsHeaders = Record<string, Buffer | Buffer[]>;

const kafkajsRequire = createRequire(import.meta.url);
/** A module of kafkajs's `src`, by its path there. */
export const kafkajs = (path: string): unknown => kafkajsRequire(`kafkajs/src/${path}`);

export const { RecordBatch } = kafkajs('protocol/recordBatch/v0') as {
  RecordBatch(options: {
    compression?: number;
    firstOffset?: string;
    firstTimestamp?: number;
    maxTimestamp?: number;
    lastOffsetDelta?: number;
    transactional?: boolean;
    producerId?: string;
    records: KafkajsEncoder[];
  }): Promise<KafkajsEncoder>;
};
export const encodeRecord = kafkajs('protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: KafkajsHeaders;
}) => KafkajsEncoder;
