// The Sparkplug B decoder as a host application needs it: one channel per metric whichever message
// carried it, what births declare (unit, datatype, aliases) kept for the node's later messages.
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../electron/engine/decode/registry';
import { encodeSparkplug } from '../../electron/engine/decode/sparkplug';

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
  const take = () => {
    const { samples, records } = frames.take();
    return {
      samples: Array.from({ length: samples.n }, (_, i) => [
        channels[samples.channel[i]!]!.path,
        samples.value[i],
      ]),
      records,
    };
  };
  return { frames, channels, quarantined, push, take };
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
    expect(h.channels).toEqual([
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
