// The simulated rig: demo data, deterministic by seed.
import { z } from 'zod';
import { defineSourceKind } from './descriptor';

export const SimOptions = z
  .object({
    /** Same seed, same data: tests and demos rely on it. */
    seed: z.number().int().default(1).meta({ label: 'Seed' }),
    /** Speeds the whole rig up (more samples per second of every kind), for load tests. */
    rateMultiplier: z.number().positive().max(1000).default(1).meta({ label: 'Rate multiplier' }),
    /** Base rate of the vibration channel, samples per second. */
    vibrationHz: z.number().positive().max(100_000).default(500).meta({ label: 'Vibration rate (Hz)' }),
  })
  .strict();
export type SimOptions = z.infer<typeof SimOptions>;

export const simKind = defineSourceKind({
  kind: 'sim',
  label: 'Simulated rig (demo data)',
  options: SimOptions,
  optionsMayBeOmitted: true,
  hostAccess: () => null,
});
