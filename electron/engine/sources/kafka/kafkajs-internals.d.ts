// The parts of kafkajs's internals the inspect reader uses: a cluster's leaders and brokers and
// the broker's Fetch request (kafkajs's consumer has no manual assignment; its issue #373).
declare module 'kafkajs/src/consumer/batch.js' {
  import type { KafkaMessage } from 'kafkajs';
  export default class Batch {
    constructor(topic: string, fetchedOffset: string, partitionData: unknown);
    readonly messages: KafkaMessage[];
    readonly rawMessages: { offset: string }[];
    readonly highWatermark: string;
    isEmpty(): boolean;
    lastOffset(): string;
  }
}
