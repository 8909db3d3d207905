// Replay sessions on their own virtual clocks: nothing one holds (channels, instances, notices,
// clock) is seen by another in the same process.
import { describe, expect, it } from 'vitest';
import { AlertingSettings, AlertRule } from '../../shared/alerts';
import { VirtualClock } from '../../electron/engine/session/clock';
import { Session } from '../../electron/engine/session/session';

const rules = [
  AlertRule.parse({ id: 'hot', kind: 'threshold', channel: 'plant/temp', above: 5, lateness: 0 }),
];
const alerting = AlertingSettings.parse({});

function feed(session: Session, t0: number, values: number[]) {
  const ch = session.channelId('plant/temp');
  return session.replay('recording', {
    n: values.length,
    ts: Float64Array.from(values, (_v, i) => t0 + i * 1_000),
    channel: Uint32Array.from(values, () => ch),
    value: Float64Array.from(values),
  });
}

describe('virtual clock', () => {
  it('moves only forward, and only when told', () => {
    const clock = new VirtualClock(1_000);
    const seen: number[] = [];
    clock.onAdvance((t) => seen.push(t));
    clock.advance(500);
    clock.set(2_000);
    expect(clock.now()).toBe(2_000);
    expect(seen).toEqual([1_500, 2_000]);
    expect(() => clock.set(1_999)).toThrow(/before its time/);
    expect(() => clock.advance(-1)).toThrow(/cannot advance/);
    expect(() => new VirtualClock(Number.NaN)).toThrow(/not a time/);
  });
});

describe('replay sessions side by side', () => {
  it('evaluate on their own clocks and share no state', async () => {
    const a = Session.replay({ clock: new VirtualClock(1_000_000), rules, alerting });
    const b = Session.replay({ clock: new VirtualClock(9_000_000), rules, alerting });
    try {
      await feed(a, 990_000, [1, 9]);
      await feed(b, 8_990_000, [1, 2]);
      (a.clock as VirtualClock).advance(1_000);
      (b.clock as VirtualClock).advance(1_000);
      expect(a.alerts!.instances().map((i) => i.state)).toEqual(['firing']);
      expect(b.alerts!.instances().every((i) => i.state !== 'firing')).toBe(true);
      const fired = a.notices().find((n) => n.message.startsWith('alert hot firing'));
      expect(fired?.ts).toBe(1_000_000); // session a's clock when the samples arrived
      expect(b.notices()).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a replay session names its own channels; a live one does not', () => {
    const s = Session.replay({ clock: new VirtualClock(0) });
    try {
      expect(s.channelId('x')).toBe(1);
      expect(s.channelId('y')).toBe(2);
      expect(s.channelId('x')).toBe(1);
    } finally {
      s.close();
    }
  });
});
