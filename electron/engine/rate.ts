// One definition of "messages per second" for everything that shows one (a source's status, every
// node of its topic tree): the messages that arrived in the last RATE_WINDOW_SECONDS whole seconds
// of the engine's clock, divided by that many seconds. Each message counts in the second it arrived,
// so two counters of the same traffic read in the same second give the same figure, whenever each
// happens to be read.

import { RATE_WINDOW_SECONDS } from '../../shared/api';

const SLOTS = RATE_WINDOW_SECONDS + 1;

export class SecondCounts {
  private readonly counts = new Float64Array(SLOTS);
  private readonly seconds = new Float64Array(SLOTS).fill(-1);

  /** Counts `n` arrivals at `at` (epoch ms). */
  add(n: number, at: number): void {
    const second = Math.floor(at / 1000);
    const slot = second % SLOTS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += n;
  }

  /** Arrivals per second over the whole seconds before the one `now` falls in. */
  rate(now: number): number {
    const current = Math.floor(now / 1000);
    let sum = 0;
    for (let k = 1; k <= RATE_WINDOW_SECONDS; k++) {
      const second = current - k;
      const slot = second % SLOTS;
      if (this.seconds[slot] === second) sum += this.counts[slot]!;
    }
    return sum / RATE_WINDOW_SECONDS;
  }
}
