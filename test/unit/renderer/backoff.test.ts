// The one retry delay (shared/backoff.ts), used by the engine's reconnects, store recovery and
// notifier retries and by the console's reconnect to the engine.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../shared/backoff';

const mid = () => 0.5;

describe('backoffDelay', () => {
  it('doubles from the first delay and stays at the maximum', () => {
    const b = { firstMs: 200, maxMs: 5_000 };
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, b))).toEqual([
      200, 400, 800, 1_600, 3_200, 5_000, 5_000,
    ]);
  });

  it('spreads each delay over ±jitter, and not at all without it', () => {
    const b = { firstMs: 1_000, maxMs: 60_000, jitter: 0.2 };
    expect(backoffDelay(0, b, () => 0)).toBe(800);
    expect(backoffDelay(0, b, mid)).toBe(1_000);
    expect(backoffDelay(0, b, () => 0.999_999)).toBe(1_200);
    expect(backoffDelay(0, { firstMs: 1_000, maxMs: 60_000 }, () => 0)).toBe(1_000);
  });

  it('stays a finite number for any attempt, even a huge, negative or fractional one', () => {
    const b = { firstMs: 500, maxMs: 30_000, jitter: 0.5 };
    expect(backoffDelay(1e9, b, mid)).toBe(30_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, b, mid)).toBe(30_000);
    expect(backoffDelay(-3, b, mid)).toBe(500);
    expect(backoffDelay(1.7, b, mid)).toBe(1_000);
    expect(backoffDelay(0, { firstMs: 0, maxMs: 30_000 })).toBe(0);
  });

  it('never waits less than (1 − jitter) × first nor more than (1 + jitter) × max', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, firstMs, extra, jitter, r) => {
          const maxMs = firstMs + extra;
          const d = backoffDelay(attempt, { firstMs, maxMs, jitter }, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(firstMs * (1 - jitter)));
          expect(d).toBeLessThanOrEqual(Math.ceil(maxMs * (1 + jitter)));
        },
      ),
    );
  });
});
