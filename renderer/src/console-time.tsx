// One time range and one cursor for the whole console, defined here once: the log view's
// histogram brush sets the range and every plot zooms to it (a plot's zoom sets it back); clicking
// a record sets the cursor, drawn as a marker on every plot. Null range: everything (live).
import { createContext, useContext, useSyncExternalStore } from 'react';

export interface TimeRange {
  /** [from, to) epoch ms. */
  from: number;
  to: number;
}

export interface ConsoleTime {
  range: TimeRange | null;
  /** Epoch ms of the instant pointed at (a record clicked), or null. */
  cursor: number | null;
  /** A replay drives the range and cursor (the timeline's): panels show that moment, not live. */
  replaying: boolean;
}

export class ConsoleTimeStore {
  private value: ConsoleTime = { range: null, cursor: null, replaying: false };
  private readonly listeners = new Set<() => void>();

  get = (): ConsoleTime => this.value;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  setRange(range: TimeRange | null): void {
    const same =
      range === this.value.range ||
      (range !== null &&
        this.value.range !== null &&
        range.from === this.value.range.from &&
        range.to === this.value.range.to);
    if (same) return;
    if (range !== null && !(range.to > range.from)) return;
    this.value = { ...this.value, range };
    this.emit();
  }

  setCursor(cursor: number | null): void {
    if (cursor === this.value.cursor) return;
    this.value = { ...this.value, cursor };
    this.emit();
  }

  setReplaying(replaying: boolean): void {
    if (replaying === this.value.replaying) return;
    this.value = { ...this.value, replaying };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

const ConsoleTimeContext = createContext<ConsoleTimeStore>(new ConsoleTimeStore());
export const ConsoleTimeProvider = ConsoleTimeContext.Provider;

/** The console's time range and cursor, and the store that changes them. */
export function useConsoleTime(): [ConsoleTime, ConsoleTimeStore] {
  const store = useContext(ConsoleTimeContext);
  return [useSyncExternalStore(store.subscribe, store.get), store];
}
