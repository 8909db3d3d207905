// The demo rig under back-pressure: a rig held back drops what it cannot send and says how much,
// instead of coming back with one batch of everything it missed.
import { describe, expect, it } from 'vitest';
import { DemoRig } from '../../electron/engine/sources/sim';

const ids = { temperature: 1, humidity: 2, vibration: 3, door: 4 };
const T0 = 1_700_000_000_000;

describe('demo rig', () => {
  it('drops readings due before the skip point, counts them, and produces the rest unchanged', () => {
    const held = new DemoRig(7, T0, 10);
    const steady = new DemoRig(7, T0, 10);
    held.generate(T0 + 1_000, ids, 'demo');
    steady.generate(T0 + 1_000, ids, 'demo');
    const skipped = held.skipBefore(T0 + 61_000);
    // At 10×: temperature and humidity 10 Hz, vibration 5,000 Hz, logs 20 Hz. The first `generate`
    // produced everything due up to and including 1 s, so each stream drops what falls strictly
    // between 1 s and 61 s: 60 s of readings less one.
    expect(skipped).toBe(60 * (10 + 10 + 5_000 + 20) - 4);
    const after = held.generate(T0 + 62_000, ids, 'demo');
    const reference = steady.generate(T0 + 62_000, ids, 'demo');
    const firstTs = Math.min(
      ...Array.from(after.samples.ts.subarray(0, after.samples.n)).filter(
        (_, i) => after.samples.channel[i] !== ids.door,
      ),
    );
    expect(firstTs).toBeGreaterThanOrEqual(T0 + 61_000);
    // What the held rig produces after the skip is exactly what the steady one produced for those times.
    const tail = (b: typeof after.samples) =>
      Array.from({ length: b.n }, (_, i) => [b.ts[i]!, b.channel[i]!, b.value[i]!] as const).filter(
        ([ts, ch]) => ts >= T0 + 61_000 && ch !== ids.door,
      );
    expect(tail(after.samples)).toEqual(tail(reference.samples));
    expect(held.skipBefore(T0 + 30_000)).toBe(0); // never backwards
  });
});
