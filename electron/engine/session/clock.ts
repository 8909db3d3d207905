// A session's clock: the wall clock for a live session, a virtual one (set and advanced by whoever
// replays) for a replay session. Everything in a session reads time through its clock only.

export interface Clock {
  now(): number;
  /** Called after the clock moves by itself (a virtual clock set or advanced); the wall clock never calls. */
  onAdvance?(listener: (now: number) => void): () => void;
}

export const wallClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to; it never goes back. */
export class VirtualClock implements Clock {
  private listeners = new Set<(now: number) => void>();

  constructor(private at: number) {
    if (!Number.isFinite(at)) throw new Error(`virtual clock: start ${at} is not a time`);
  }

  now(): number {
    return this.at;
  }

  set(at: number): void {
    if (!Number.isFinite(at)) throw new Error(`virtual clock: ${at} is not a time`);
    if (at < this.at) throw new Error(`virtual clock: ${at} is before its time ${this.at}`);
    this.at = at;
    for (const l of this.listeners) l(at);
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`virtual clock: cannot advance by ${ms} ms`);
    this.set(this.at + ms);
  }

  onAdvance(listener: (now: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
