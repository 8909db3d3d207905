// The Sparkplug B decoder as a host application needs it: one channel per metric whichever message
// carried it, what births declare (unit, datatype, aliases) kept for the node's later messages.
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../electron/engine/decode/registry';
import { edgeNodeOf, encodeSparkplug } from '../../electron/engine/decode/sparkplug';
import { describeZodError, MqttOptions } from '../../shared/schemas';
import { recordRows } from '../../electron/engine/batch';

const RX = Date.UTC(2026, 4, 1, 8, 0, 0);

/** A FrameDecoder whose channels (with units), samples and records a test can read. */
function host() {
  const channels: { path: string; unit: string }[] = [];
  const quarantined: string[] = [];
  const frames = new FrameDecoder('plant', {
    channel: (path, unit) => {
      const at = channels.findIndex((c) => c.path === path);
      return at >= 0 ? at : channels.push({ path, unit }) - 1;
    },
    quarantine: (_raw, reason) => quarantined.push(reason),
  });
  const push = (topic: string, payload: Parameters<typeof encodeSparkplug>[0], rx = RX) =>
    frames.push({ rx, key: `spBv1.0/${topic}`, bytes: encodeSparkplug(payload) });
  /** Samples as [channel, value]; the online state only when asked. */
  const take = (withOnline = false) => {
    const { samples, records } = frames.take();
    return {
      samples: Array.from({ length: samples.n }, (_, i) => [
        channels[samples.channel[i]!]!.path,
        samples.value[i],
      ]).filter(([path]) => withOnline || !(path as string).endsWith('/[online]')),
      records: recordRows(records),
    };
  };
  /** What the decoder knows of edge node G/N. */
  const node = () => edgeNodeOf(frames.memoOf('sparkplug', 'spBv1.0/G/NDATA/N')!);
  return { frames, channels, quarantined, push, take, node };
}

describe('Sparkplug B metrics', () => {
  it('are one channel per group/node/device/metric, with the unit the birth declared', () => {
    const h = host();
    h.push('G/NBIRTH/N', { seq: 0, metrics: [{ name: 'Speed', alias: 1, type: 'Double', value: 1 }] });
    h.push('G/DBIRTH/N/D', {
      seq: 1,
      metrics: [
        {
          name: 'Temp',
          alias: 2,
          type: 'Float',
          value: 20,
          properties: { engUnit: { type: 'String', value: '°C' } },
        } as never,
      ],
    });
    h.push('G/DDATA/N/D', { seq: 2, metrics: [{ alias: 2, type: 'Float', value: 21 }] });
    h.push('G/NDATA/N', { seq: 3, metrics: [{ alias: 1, type: 'Double', value: 2 }] });
    expect(h.channels.filter((c) => !c.path.endsWith('/[online]'))).toEqual([
      { path: 'spBv1.0/G/N/Speed', unit: '' },
      { path: 'spBv1.0/G/N/D/Temp', unit: '°C' },
    ]);
    expect(h.take().samples).toEqual([
      ['spBv1.0/G/N/Speed', 1],
      ['spBv1.0/G/N/D/Temp', 20],
      ['spBv1.0/G/N/D/Temp', 21],
      ['spBv1.0/G/N/Speed', 2],
    ]);
  });

  it('a node birth declares its aliases afresh: a rebirth may give an alias to another metric', () => {
    const h = host();
    h.push('G/NBIRTH/N', { seq: 0, metrics: [{ name: 'A', alias: 1, type: 'Double', value: 1 }] });
    h.push('G/NBIRTH/N', { seq: 0, metrics: [{ name: 'B', alias: 1, type: 'Double', value: 2 }] });
    h.push('G/NDATA/N', { seq: 1, metrics: [{ alias: 1, type: 'Double', value: 3 }] });
    expect(h.take().samples).toEqual([
      ['spBv1.0/G/N/A', 1],
      ['spBv1.0/G/N/B', 2],
      ['spBv1.0/G/N/B', 3],
    ]);
  });

  it('a command is a record of what was asked, not a reading on the metric’s channel', () => {
    const h = host();
    h.push('G/NCMD/N', { metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
    const { samples, records } = h.take();
    expect(samples).toEqual([]);
    expect(records.map((r) => [r.message, r.fields])).toEqual([
      ['NCMD G/N', { group: 'G', node: 'N', seq: null, 'Node Control/Rebirth': true }],
    ]);
  });

  it('a unit longer than a plot label is cut', () => {
    const h = host();
    h.push('G/NBIRTH/N', {
      seq: 0,
      metrics: [
        {
          name: 'X',
          type: 'Double',
          value: 1,
          properties: { engUnit: { type: 'String', value: 'u'.repeat(500) } },
        } as never,
      ],
    });
    expect(h.channels[0]!.unit).toBe('u'.repeat(32));
  });
});

describe('Sparkplug B host state', () => {
  it('counts seq gaps, wrapping 255 to 0, and goes on from the seq it got', () => {
    const h = host();
    const data = (seq: number) =>
      h.push('G/NDATA/N', { seq, metrics: [{ name: 'X', type: 'Double', value: seq }] });
    h.push('G/NBIRTH/N', { seq: 254, metrics: [{ name: 'X', type: 'Double', value: 0 }] });
    data(255);
    data(0);
    expect(h.node().seqGaps).toBe(0);
    data(2); // 1 went missing
    data(3);
    data(3); // a repeat is out of sequence too
    expect(h.node().seqGaps).toBe(2);
    expect(
      h
        .take()
        .records.filter((r) => r.message.startsWith('seq gap'))
        .map((r) => [r.message, r.fields!['expected']]),
    ).toEqual([
      ['seq gap on G/N: expected 1, got 2', 1],
      ['seq gap on G/N: expected 4, got 3', 4],
    ]);
    expect(h.node().rebirth).toBe('seq gap: expected 1, got 2');
    // The node's next birth answers it.
    h.push('G/NBIRTH/N', { seq: 0, metrics: [{ name: 'X', type: 'Double', value: 0 }] });
    expect(h.node().rebirth).toBeNull();
  });

  it('brings nodes and devices online with their births and offline with their deaths', () => {
    const h = host();
    h.push('G/NBIRTH/N', { seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] });
    h.push('G/DBIRTH/N/D1', { seq: 1, metrics: [{ name: 'T', type: 'Double', value: 1 }] });
    h.push('G/DBIRTH/N/D2', { seq: 2, metrics: [{ name: 'T', type: 'Double', value: 1 }] });
    h.push('G/DDEATH/N/D2', { seq: 3, metrics: [] });
    expect(h.node()).toMatchObject({ online: true, bdSeq: 3 });
    expect([...h.node().devices].map(([d, s]) => [d, s.online])).toEqual([
      ['D1', true],
      ['D2', false],
    ]);
    // The will of an earlier session changes nothing.
    h.push('G/NDEATH/N', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 2 }] });
    expect(h.node().online).toBe(true);
    h.push('G/NDEATH/N', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] }, RX + 5000);
    expect(h.node()).toMatchObject({ online: false, lastDeath: RX + 5000 });
    expect([...h.node().devices].map(([d, s]) => [d, s.online])).toEqual([
      ['D1', false],
      ['D2', false],
    ]);
    const { samples, records } = h.take(true);
    expect(samples.filter(([path]) => (path as string).endsWith('[online]'))).toEqual([
      ['spBv1.0/G/N/[online]', 1],
      ['spBv1.0/G/N/D1/[online]', 1],
      ['spBv1.0/G/N/D2/[online]', 1],
      ['spBv1.0/G/N/D2/[online]', 0],
      ['spBv1.0/G/N/[online]', 0],
      ['spBv1.0/G/N/D1/[online]', 0], // D2 was already offline
    ]);
    expect(records.map((r) => r.message)).toEqual([
      'NBIRTH G/N',
      'DBIRTH G/N/D1',
      'DBIRTH G/N/D2',
      'DDEATH G/N/D2',
      'NDEATH G/N of an earlier session ignored',
      'NDEATH G/N',
    ]);
  });

  it('wants a rebirth for an alias no birth named, and for data before any birth', () => {
    const h = host();
    h.push('G/NDATA/N', { seq: 5, metrics: [{ name: 'X', type: 'Double', value: 1 }] });
    expect(h.node().rebirth).toBe("NDATA before the node's birth");
    const k = host();
    k.push('G/NBIRTH/N', { seq: 0, metrics: [{ name: 'X', alias: 1, type: 'Double', value: 0 }] });
    k.push('G/NDATA/N', { seq: 1, metrics: [{ alias: 7, type: 'Double', value: 1 }] });
    expect(k.quarantined).toEqual(['sparkplug: metric alias 7 was never named in a birth certificate']);
    expect(k.node().rebirth).toBe('metric alias 7 was never named in a birth certificate');
    expect(k.node().nextSeq).toBe(2); // the quarantined message still counted on seq
  });

  it('keeps data sets and templates as records of their own', () => {
    const h = host();
    h.push('G/NBIRTH/N', {
      seq: 0,
      metrics: [
        {
          name: 'Recipe',
          type: 'DataSet',
          value: {
            numOfColumns: 2,
            columns: ['step', 'temp'],
            types: ['Int32', 'Double'],
            rows: [[1, 80.5]],
          },
        },
      ],
    });
    const record = h.take().records.find((r) => r.fields?.['metric'] === 'Recipe')!;
    expect(record.message).toBe('NBIRTH G/N: DataSet Recipe');
    expect(record.fields!['value']).toEqual({
      columns: ['step', 'temp'],
      types: ['Int32', 'Double'],
      rows: [[1, 80.5]],
    });
  });

  it('reads a primary host’s STATE (Sparkplug 3.0 JSON, 2.2 text) as records', () => {
    const h = host();
    const enc = (s: string) => new TextEncoder().encode(s);
    h.frames.push({ rx: RX, key: 'spBv1.0/STATE/scada1', bytes: enc('{"online":false,"timestamp":1}') });
    expect(h.take().records.map((r) => [r.severity, r.message, r.fields])).toEqual([
      ['warning', 'host scada1 offline', { host: 'scada1', online: false, timestamp: 1 }],
    ]);
  });
});

describe('Sparkplug host options', () => {
  it('publish nothing unless allowed, and a primary host id needs that permission', () => {
    const base = { url: 'mqtt://plant:1883' };
    expect(MqttOptions.parse(base).sparkplug).toBeUndefined();
    expect(MqttOptions.parse({ ...base, sparkplug: {} }).sparkplug).toEqual({
      allowPublish: false,
      rebirthIntervalSeconds: 30,
    });
    const refused = MqttOptions.safeParse({ ...base, sparkplug: { hostId: 'opsdeck1' } });
    expect(refused.success || describeZodError(refused.error)).toBe(
      'sparkplug.hostId: publishing STATE as a primary host needs allowPublish',
    );
  });
});
