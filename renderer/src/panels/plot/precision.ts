// How many decimals a plotted value gets: the channel's own setting when it has one, else as many
// as the values on screen need to be told apart. GPS latitudes moving in the fifth decimal get six;
// a temperature moving by degrees gets one or two; a constant shows its significant digits.

const MAX_DECIMALS = 10;

/** Decimals that tell apart values spread over [lo, hi]: about three significant digits of the spread. */
export function decimalsForRange(lo: number, hi: number): number {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return 2;
  const spread = Math.abs(hi - lo);
  if (spread > 0) return clamp(2 - Math.floor(Math.log10(spread)));
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  // One value: six significant digits of it.
  return magnitude === 0 ? 0 : clamp(5 - Math.floor(Math.log10(magnitude)));
}

/** Decimals for axis ticks `step` apart: enough that neighbouring ticks differ. */
export function decimalsForStep(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  return clamp(-Math.floor(Math.log10(step) + 1e-9));
}

/** The smallest and largest of the buckets' edges (NaN and nulls skipped). */
export function rangeOf(min: ArrayLike<number>, max: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < min.length; i++) {
    const a = min[i]!;
    const b = max[i]!;
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return [lo, hi];
}

/** `v` with `decimals` decimals; very large or small magnitudes in exponent form. */
export function formatFixed(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e12 || (abs !== 0 && abs < 1e-9)) return v.toExponential(3);
  return v.toFixed(decimals);
}

function clamp(d: number): number {
  return Math.min(MAX_DECIMALS, Math.max(0, d));
}
