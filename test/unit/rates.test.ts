// One definition of msg/s (electron/engine/rate.ts): a source's rate and its topic tree's rates
// count the same arrivals in the same whole seconds, so they agree however each is read.
import { describe, expect, it } from 'vitest';
import { SecondCounts } from '../../electron/engine/rate';
import { TopicTree } from '../../electron/engine/sources/mqtt/topic-tree';

describe('message rates', () => {
  it('a source and its topic tree show the same rate for the same traffic, read at any moment', () => {
    let now = 1_700_000_000_250;
    const tree = new TopicTree(() => now);
    const source = new SecondCounts();
    const payload = new TextEncoder().encode('{"temp":21}');
    // Two devices, 2 msg/s each, for 20 s: 4 msg/s in all.
    const readings: [number, number, number][] = [];
    for (let i = 0; i < 80; i++) {
      now += 250;
      for (const device of ['site/dev1/env', 'site/dev2/env']) {
        if ((i + (device.endsWith('2/env') ? 1 : 0)) % 2 !== 0) continue;
        tree.record(device, payload, now, false, 0, null);
        source.add(1, now);
      }
      // Read at odd moments within the second too (not only on a tick).
      const at = now + ((i * 37) % 250);
      const saved = now;
      now = at;
      const top = tree.list('', undefined, 10).nodes.find((n) => n.topic === 'site')!;
      readings.push([i, source.rate(at), top.rate]);
      now = saved;
    }
    for (const [, sourceRate, treeRate] of readings) expect(treeRate).toBe(sourceRate);
    // Once the window is full: the traffic's own rate, 4 msg/s, and each device half of it.
    expect(readings.slice(30).every(([, r]) => r === 4)).toBe(true);
    const devices = tree.list('site', undefined, 10).nodes;
    expect(devices.map((d) => d.rate)).toEqual([2, 2]);
  });

  it('counts a batch recorded at once (a Kafka partition’s fetch) as its messages, keeping the last', () => {
    let now = 1_700_000_000_250;
    const tree = new TopicTree(() => now);
    const enc = new TextEncoder();
    // 3 s of one message per second, then a batch of 5 in one call: 8 messages in 4 s.
    for (let s = 0; s < 3; s++)
      tree.record('plant/falco', enc.encode(`{"n":${s}}`), now + s * 1000, false, 0, null);
    tree.record('plant/falco', enc.encode('{"n":7}'), now + 3000, false, 0, null, 5);
    now += 4000;
    const [plant] = tree.list('', undefined, 10).nodes;
    const [falco] = tree.list('plant', undefined, 10).nodes;
    expect([plant!.messages, falco!.messages]).toEqual([8, 8]);
    expect(falco).toMatchObject({ preview: '{"n":7}', lastSeen: now - 1000 });
    expect(falco!.rate).toBe(plant!.rate);
    expect(falco!.rate).toBeGreaterThan(0);
  });

  it('counts only the whole seconds before now, and forgets what is older than the window', () => {
    const c = new SecondCounts();
    c.add(10, 10_100);
    c.add(10, 10_900);
    expect(c.rate(10_999)).toBe(0); // the current second is not complete
    expect(c.rate(11_000)).toBe(4); // 20 arrivals over 5 s
    expect(c.rate(15_999)).toBe(4);
    expect(c.rate(16_000)).toBe(0);
    c.add(5, 16_500);
    // A slot reused six seconds later starts over.
    c.add(1, 22_500);
    expect(c.rate(23_000)).toBe(1 / 5);
  });
});
