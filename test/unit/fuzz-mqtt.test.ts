// Property-based tests of what an MQTT source does with a peer's messages before the bus: the
// topic tree (any topic, any depth), the last-payload detail with its numeric fields, and the
// ingest step that decodes or quarantines every message. Nothing a peer publishes may throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordRows, type RecordRow, type SampleBatch } from '../../electron/engine/batch';
import { MAX_NESTING_DEPTH } from '../../electron/engine/decode/decoder';
import { IngestStage, PendingBudget } from '../../electron/engine/ingest/stage';
import { encodeSparkplug } from '../../electron/engine/decode/sparkplug';
import { topicDetail } from '../../electron/engine/sources/mqtt/detail';
import { MqttIngest } from '../../electron/engine/sources/mqtt/ingest';
import { TopicTree } from '../../electron/engine/sources/mqtt/topic-tree';
import type { SourceContext } from '../../electron/engine/sources/source';
import { anyBytes, completes, enc } from './fuzz-support';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function context() {
  const ids = new Map<string, number>();
  const samples: [string, number][] = [];
  const records: RecordRow[] = [];
  const quarantined: { raw: Uint8Array; reason: string; where?: string }[] = [];
  let now = T0;
  const names: string[] = [];
  const emitSamples = (batch: SampleBatch) => {
    for (let i = 0; i < batch.n; i++) samples.push([names[batch.channel[i]!]!, batch.value[i]!]);
  };
  const stage = new IngestStage({
    source: 'bench',
    budget: new PendingBudget(1e9, 1e12),
    now: () => now,
    submit: (batch) => {
      emitSamples(batch.samples);
      records.push(...recordRows(batch.records));
      return Promise.resolve();
    },
    received: () => undefined,
    shed: () => undefined,
    quarantined: () => undefined,
    failed: () => undefined,
  });
  const ctx: SourceContext = {
    sourceId: 'bench',
    channel: (path) => {
      let id = ids.get(path);
      if (id === undefined) ids.set(path, (id = names.push(path) - 1));
      return id;
    },
    ingest: (setup) => stage.configure(setup),
    positions: async () => new Map(),
    emitSamples,
    emitRecords: (rows) => void records.push(...recordRows(rows)),
    quarantine: (raw, reason, where) => void quarantined.push({ raw, reason, where }),
    shed: () => undefined,
    received: () => undefined,
    setState: () => undefined,
    describe: () => undefined,
    secret: () => undefined,
    notice: () => undefined,
    recordRaw: () => undefined,
    recordingNamed: () => false,
    now: () => (now += 7),
  };
  return { ctx, samples, records, quarantined };
}

const topic = fc.oneof(
  fc
    .array(
      fc.constantFrom('lab', 'rig', 'env', '', 'spBv1.0', 'plant', 'NDATA', 'edge1', '#', '+', 'ünï', 'a b'),
      {
        minLength: 1,
        maxLength: 6,
      },
    )
    .map((levels) => levels.join('/')),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

const nestedJson = fc
  .integer({ min: 1, max: 40_000 })
  .map((depth) => enc('['.repeat(depth) + '1' + ']'.repeat(depth)));

const payload = fc.oneof(anyBytes, nestedJson, fc.constant(enc('{"env":{"temp":21.5,"hum":40},"ok":true}')));

describe('MQTT ingest, on any messages', () => {
  it('decodes or quarantines each message, and the topic tree and details never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(topic, payload, fc.boolean(), fc.constantFrom(0, 1, 2)), { maxLength: 25 }),
        (messages) => {
          const c = context();
          const ingest = new MqttIngest(c.ctx, {
            decoders: [],
            timeZone: 'UTC',
            futureToleranceSeconds: 300,
            maxPayloadBytes: 64 * 1024,
            record: true,
          });
          for (const [t, bytes, retain, qos] of messages) {
            const before = c.quarantined.length;
            ingest.accept({ topic: t, payload: bytes, qos, retain, properties: null });
            const decoder = ingest.tree.detail(t)!.decoder;
            // Taken by the decoder shown in the tree, or quarantined with a reason.
            if (c.quarantined.length > before) {
              expect(c.quarantined.length).toBe(before + 1);
              expect(c.quarantined.at(-1)!.reason.trim()).not.toBe('');
              expect(c.quarantined.at(-1)!.where).toBe(t);
            } else expect(decoder).not.toBeNull();
          }
          void ingest.stop(); // hands the batch over at once, and ends the stage's timer
          for (const [, value] of c.samples) expect(Number.isFinite(value)).toBe(true);
          for (const [t] of messages) {
            const detail = topicDetail(ingest.tree, ingest.frames, t, c.ctx);
            expect(detail).not.toBeNull();
            for (const f of detail!.fields) expect(Number.isFinite(f.value)).toBe(true);
            ingest.tree.list(t, undefined, 50);
            ingest.tree.list('', t, 50);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps going after a Sparkplug payload of 40 nested templates (the library took hours)', () => {
    let value: unknown = { metrics: [{ name: 'rpm', type: 'Double', value: 1 }] };
    for (let i = 0; i < 40; i++) value = { metrics: [{ name: 'x', type: 'Template', value }] };
    const c = context();
    const ingest = new MqttIngest(c.ctx, {
      decoders: [],
      timeZone: 'UTC',
      futureToleranceSeconds: 300,
      maxPayloadBytes: 1024 * 1024,
      record: false,
    });
    completes(() => {
      ingest.accept({
        topic: 'spBv1.0/plant/DBIRTH/edge1/motor',
        payload: encodeSparkplug({ metrics: [{ name: 'motor', type: 'Template', value }] }),
        qos: 0,
        retain: false,
        properties: null,
      });
    }, 'nested templates');
    expect(c.quarantined.map((q) => q.reason)).toEqual([
      `Sparkplug B payload nested deeper than ${MAX_NESTING_DEPTH} levels`,
    ]);
  });
});

describe('topic tree, on any payload', () => {
  it('shows any text payload as text, whatever characters it holds and wherever its preview is cut', () => {
    const printable = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 300 })
      // Text: no control characters (the tree takes those for binary), no lone surrogates, no U+FFFD.
      .map((s) =>
        [...s]
          .map((c) => {
            const code = c.codePointAt(0)!;
            const control = code < 0x20 && !(code >= 0x09 && code <= 0x0d);
            return control || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffd ? 'x' : c;
          })
          .join(''),
      );
    fc.assert(
      fc.property(printable, fc.nat({ max: 8 }), (text, padding) => {
        const tree = new TopicTree();
        const payload = 'é'.repeat(padding) + text + '°'.repeat(300); // always past the preview's 480 bytes
        tree.record('lab/t', enc(payload), T0, false, 0, null);
        const detail = tree.detail('lab/t')!;
        expect(detail.hex).toBeNull();
        expect(detail.text).toBe(payload);
        expect(tree.list('lab', undefined, 10).nodes[0]!.preview).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('topic tree regressions', () => {
  it('counts rates under a topic of 65,535 levels (a recursive walk overflowed the stack in a timer)', () => {
    let now = T0;
    const tree = new TopicTree(() => now);
    const deep = '/'.repeat(65_534); // the longest MQTT topic: 65,535 empty levels
    tree.record(deep, enc('1'), now, false, 0, null);
    tree.record('lab/x', enc('1'), now, false, 0, null);
    now += 500;
    tree.record(deep, enc('2'), now, false, 0, null);
    now += 2_000;
    // Counted at every level, the deep topic's twice as often as lab/x.
    const top = tree.list('', undefined, 10).nodes;
    expect(top.find((n) => n.name === '')!.rate).toBeGreaterThan(0);
    expect(tree.detail(deep)!.rate).toBe(2 * tree.detail('lab/x')!.rate);
  });

  it('shows a deeply nested JSON payload as it came (indenting 3,000 levels made 18 MB of text)', () => {
    const tree = new TopicTree();
    const deep = '['.repeat(3000) + ']'.repeat(3000);
    tree.record('lab/deep', enc(deep), T0, false, 0, null);
    expect(tree.detail('lab/deep')!.text).toBe(deep);
    // The most the tree keeps of one payload (64 KiB) nested all the way: no stack overflow either.
    const deepest = '['.repeat(32 * 1024) + ']'.repeat(32 * 1024);
    tree.record('lab/deepest', enc(deepest), T0, false, 0, null);
    expect(tree.detail('lab/deepest')!.text).toBe(deepest);
    // Within the limit it is still indented.
    tree.record('lab/ok', enc('{"a":[1]}'), T0, false, 0, null);
    expect(tree.detail('lab/ok')!.text).toBe('{\n  "a": [\n    1\n  ]\n}');
  });

  it('shows text as text when the preview cut splits a character (it was shown as binary)', () => {
    const tree = new TopicTree();
    const text = 'a' + '°'.repeat(300); // byte 480 is the middle of a °
    tree.record('lab/unit', enc(text), T0, false, 0, null);
    expect(tree.detail('lab/unit')!.text).toBe(text);
    expect(tree.list('lab', undefined, 10).nodes[0]!.preview).toBe('a' + '°'.repeat(118) + '…');
  });

  it('offers no fields for a payload its decoder refuses, and fields for one it reads', () => {
    const c = context();
    const { tree, frames } = new MqttIngest(c.ctx, {
      decoders: [],
      timeZone: 'UTC',
      futureToleranceSeconds: 300,
      maxPayloadBytes: 1024,
      record: false,
    });
    tree.record('lab/deep', enc('['.repeat(3000) + ']'.repeat(3000)), T0, false, 0, null);
    tree.setDecoder('lab/deep', 'json');
    expect(topicDetail(tree, frames, 'lab/deep', c.ctx)!.fields).toEqual([]);
    tree.record('lab/env', enc('{"temp":21.5,"list":[1,"x"]}'), T0, false, 0, null);
    expect(
      topicDetail(tree, frames, 'lab/env', c.ctx)!.fields.map((f) => [f.path, f.channel, f.value]),
    ).toEqual([
      ['temp', 'bench/lab/env/temp', 21.5],
      ['list[0]', 'bench/lab/env/list[0]', 1],
    ]);
  });
});
