// A replay: stored data played through a replay session (its own bus, live view and alert
// evaluation on a virtual clock; nothing stored, nobody notified) at a chosen speed. The cursor is
// event time; each tick of the wall timer moves it by the wall time passed times the speed and
// plays the samples (and records, for log rules) of that slice through the session. "max" plays
// slice after slice as fast as they can be read. A seek starts a fresh session warmed up on the
// stored data just before the new time (as far back as the rules look: their `for`, windows and
// lateness, at most WARMUP_MAX_MS), so an alert pending or firing there is so at the cursor; the
// transitions of the warm-up are not shown (play from the range's start to see every transition).
import type { AlertRule, AlertTransition } from '../../../shared/alerts';
import type { ReplayCommand, ReplaySpeed, ReplayStatus } from '../../../shared/replay';
import type { RecordBatch, SampleBatch } from '../batch';
import { VirtualClock } from '../session/clock';
import type { Session } from '../session/session';
import type { Store } from '../store/store';
import { readRecords, readSamples } from './read';

/** Wall time for playback: injectable so a test moves it by hand. */
export interface ReplayTimer {
  /** Monotonic ms. */
  now(): number;
  every(ms: number, fn: () => void): () => void;
}

export const wallTimer: ReplayTimer = {
  now: () => performance.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

export interface ReplayDeps {
  store: Store;
  /** A replay session on `clock` evaluating `rules` (engine.replaySession). */
  openSession(clock: VirtualClock, rules: readonly AlertRule[]): Session;
  rules: readonly AlertRule[];
  draftRules: boolean;
  timer?: ReplayTimer;
  /** Wall ms between playback ticks. */
  tickMs?: number;
  /** Read only these channels' samples (what-would-have-fired reads its rules' channels); absent: all. */
  channels?: readonly number[];
}

/** Transitions kept per replay (the newest). */
const TRANSITIONS_KEPT = 5_000;
/** At "max", one read covers about this many samples (the slice adapts to the data's density). */
const MAX_SPEED_SLICE_ROWS = 1_000_000;
/** The longest warm-up before a seek's cursor: a rule that waits an hour is warmed for an hour. */
export const WARMUP_MAX_MS = 3_600_000;

/**
 * How much event time before an instant decides the rules' state there: the longest of their
 * waits (`for`, `keepFiringFor`, lateness) plus what they look back over (a window, a no-data wait).
 * An anomaly rule's window counts samples, not time; it warms over the others' span only.
 */
export function alertLookbackMs(rules: readonly AlertRule[]): number {
  let longest = 0;
  for (const rule of rules) {
    if (!rule.enabled) continue;
    let span = rule.for + rule.keepFiringFor + rule.lateness;
    if (rule.kind === 'rate' || rule.kind === 'log') span += rule.window;
    if (rule.kind === 'nodata') span += rule.after;
    if ('noDataAfter' in rule && rule.noDataAfter) span += rule.noDataAfter;
    longest = Math.max(longest, span);
  }
  return Math.min(WARMUP_MAX_MS, longest);
}

export class Replay {
  private session!: Session;
  private clock!: VirtualClock;
  private state: ReplayStatus['state'] = 'paused';
  private cursorAt: number;
  /** The next read includes the cursor's own instant (after a seek), else starts just after it. */
  private inclusive = true;
  private speed: ReplaySpeed;
  private loop: boolean;
  private samples = 0;
  private records = 0;
  private error: string | null = null;
  /** Where the current session began: the density at "max" is measured from there. */
  private sessionStart = 0;
  private busy = false;
  private lastWall = 0;
  private stopTimer: (() => void) | null = null;
  /** The read in flight: ticks and commands wait for it, so slices are played in order. */
  private running: Promise<void> = Promise.resolve();
  private readonly timer: ReplayTimer;
  private readonly logRules: boolean;
  readonly transitions: AlertTransition[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly id: string,
    private readonly deps: ReplayDeps,
    private range: { from: number; to: number },
    options: { speed?: ReplaySpeed; loop?: boolean } = {},
  ) {
    if (!(range.to > range.from))
      throw new Error(`replay: "to" (${range.to}) must be after "from" (${range.from})`);
    this.timer = deps.timer ?? wallTimer;
    this.speed = options.speed ?? 1;
    this.loop = options.loop ?? false;
    this.cursorAt = range.from;
    this.logRules = deps.rules.some((r) => r.enabled && r.kind === 'log');
    this.restartSession(range.from);
  }

  /** The session the data plays through now (a seek replaces it). */
  get current(): Session {
    return this.session;
  }

  get cursor(): number {
    return this.cursorAt;
  }

  status(): ReplayStatus {
    return {
      id: this.id,
      state: this.state,
      from: this.range.from,
      to: this.range.to,
      cursor: this.cursorAt,
      speed: this.speed,
      loop: this.loop,
      samples: this.samples,
      records: this.records,
      draftRules: this.deps.draftRules,
      error: this.error,
    };
  }

  /** Called after the cursor, state or transitions change. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async command(command: ReplayCommand): Promise<ReplayStatus> {
    if (this.state === 'closed') throw new Error(`replay ${this.id} is closed`);
    switch (command.action) {
      case 'play':
        this.play();
        break;
      case 'pause':
        this.pause();
        break;
      case 'seek':
        await this.seek(command.at);
        break;
      case 'step':
        this.pause();
        await this.advance(Math.min(this.range.to, this.cursorAt + command.ms));
        break;
      case 'speed':
        this.speed = command.speed;
        if (this.state === 'playing') this.startTicking();
        break;
      case 'loop':
        this.loop = command.loop;
        if (command.from !== undefined || command.to !== undefined) {
          const from = command.from ?? this.range.from;
          const to = command.to ?? this.range.to;
          if (!(to > from)) throw new Error(`replay loop: "to" (${to}) must be after "from" (${from})`);
          this.range = { from, to };
          if (this.cursorAt < from || this.cursorAt > to) await this.seek(from);
        }
        break;
    }
    this.changed();
    return this.status();
  }

  play(): void {
    if (this.state === 'closed') return;
    if (this.state === 'ended') void this.seek(this.range.from);
    this.state = 'playing';
    this.startTicking();
    this.changed();
  }

  pause(): void {
    if (this.state !== 'playing') return;
    this.state = 'paused';
    this.stopTimer?.();
    this.stopTimer = null;
    this.changed();
  }

  /** Moves the cursor to `at` (within the range) with a fresh session; playing goes on from there. */
  async seek(at: number): Promise<void> {
    const target = Math.min(this.range.to, Math.max(this.range.from, at));
    await this.serial(async () => {
      // At the range's start the replay shows every transition from there: no warm-up.
      const lookback = target > this.range.from ? alertLookbackMs(this.deps.rules) : 0;
      this.restartSession(target - lookback);
      this.cursorAt = target - lookback;
      this.inclusive = true;
      if (lookback > 0) {
        // The data before the cursor (from before the range too: the state at the cursor is
        // what it was), played silently: its transitions happened before what the user asked for.
        await this.playSlice(target);
        this.transitions.length = 0;
        this.samples = 0;
        this.records = 0;
        this.sessionStart = target;
      }
      if (this.state === 'ended') this.state = 'paused';
    });
    this.changed();
  }

  /** Plays the rest of the range as fast as it can be read; settles at its end. */
  async runToEnd(): Promise<void> {
    while (this.cursorAt < this.range.to && this.state !== 'closed' && this.error === null)
      await this.serial(() => this.playSlice(this.nextMaxSpeedEnd()));
    if (this.cursorAt >= this.range.to) this.finishRange();
  }

  /** Plays up to `target` (event time), then lets the session's clock reach it. */
  async advance(target: number): Promise<void> {
    await this.serial(() => this.playSlice(target));
    if (this.cursorAt >= this.range.to) this.reachedEnd();
    this.changed();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.stopTimer?.();
    this.stopTimer = null;
    this.state = 'closed';
    this.session.close();
    this.changed();
    this.listeners.clear();
  }

  // ---- internals -----------------------------------------------------------------------------

  private restartSession(at: number): void {
    this.session?.close();
    this.clock = new VirtualClock(at);
    this.sessionStart = at;
    this.session = this.deps.openSession(this.clock, this.deps.rules);
    this.transitions.length = 0;
    this.samples = 0;
    this.records = 0;
    this.session.alerts?.onTransition((t) => {
      this.transitions.push(t);
      if (this.transitions.length > TRANSITIONS_KEPT) this.transitions.shift();
    });
  }

  private startTicking(): void {
    this.stopTimer?.();
    this.lastWall = this.timer.now();
    this.stopTimer = this.timer.every(this.deps.tickMs ?? 50, () => void this.tick());
  }

  /** One playback tick: the wall time since the last one, times the speed, of event time. */
  private async tick(): Promise<void> {
    if (this.state !== 'playing' || this.busy) return;
    const now = this.timer.now();
    const elapsed = now - this.lastWall;
    this.lastWall = now;
    const target =
      this.speed === 'max'
        ? this.nextMaxSpeedEnd()
        : Math.min(this.range.to, this.cursorAt + elapsed * this.speed);
    await this.advance(target);
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.running.then(async () => {
      this.busy = true;
      try {
        await work();
      } finally {
        this.busy = false;
      }
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  /** At "max": the next slice's end, sized from the density so far to hold about a read's worth. */
  private nextMaxSpeedEnd(): number {
    const played = this.cursorAt - this.sessionStart;
    const perMs = played > 0 && this.samples > 0 ? this.samples / played : 0;
    const span = perMs > 0 ? MAX_SPEED_SLICE_ROWS / perMs : 60_000;
    return Math.min(this.range.to, this.cursorAt + Math.max(1, span));
  }

  private async playSlice(target: number): Promise<void> {
    if (this.state === 'closed' || target < this.cursorAt) return;
    const session = this.session;
    const clock = this.clock;
    const range = {
      after: this.cursorAt,
      upTo: target,
      inclusive: this.inclusive,
      channels: this.deps.channels,
    };
    // The clock stands at the newest event time played, so held data is due as it was live.
    const moveClock = (maxTs: number) => {
      if (maxTs > clock.now()) clock.set(Math.min(maxTs, target));
    };
    try {
      this.samples += await readSamples(this.deps.store, range, (batch: SampleBatch, maxTs) => {
        if (session.isClosed) return;
        moveClock(maxTs);
        return session.replay('replay', batch);
      });
      if (this.logRules)
        this.records += await readRecords(this.deps.store, range, (batch: RecordBatch, maxTs) => {
          if (session.isClosed) return;
          moveClock(maxTs);
          return session.replay('replay', null, batch);
        });
    } catch (error) {
      if (session.isClosed) return;
      this.error = `replay: reading stored data failed: ${(error as Error).message}`;
      this.pause();
      return;
    }
    if (session.isClosed) return;
    if (target > clock.now()) clock.set(target);
    this.cursorAt = target;
    this.inclusive = false;
  }

  private finishRange(): void {
    this.session.alerts?.finish(this.range.to);
  }

  private reachedEnd(): void {
    if (this.state !== 'playing') return;
    if (this.loop) {
      void this.seek(this.range.from);
      return;
    }
    this.finishRange();
    this.state = 'ended';
    this.stopTimer?.();
    this.stopTimer = null;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
