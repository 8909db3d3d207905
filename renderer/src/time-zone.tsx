// Which clock the console shows times on: the workspace's `display.timeZone` (local or UTC), saved
// in opsdeck.json through the engine so a reload or another window on the workspace shows the same.
// Components format every time with `useTimeFormat()` (format.ts) and show it with <Timestamp>.
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { RpcClient } from '../../shared/rpc';
import type { DisplayTimeZone, WorkspaceConfig } from '../../shared/schemas';
import { TimeFormat } from './format';

const FORMATS: Record<DisplayTimeZone, TimeFormat> = {
  local: new TimeFormat('local'),
  utc: new TimeFormat('utc'),
};
const CHOICES: readonly DisplayTimeZone[] = ['local', 'utc'];

const TimeFormatContext = createContext<TimeFormat>(FORMATS.local);
export const TimeFormatProvider = TimeFormatContext.Provider;

/** The clock the console shows times on now. */
export function useTimeFormat(): TimeFormat {
  return useContext(TimeFormatContext);
}

export interface DisplayTimeZoneControl {
  choice: DisplayTimeZone;
  format: TimeFormat;
  /** Shows times on `choice` at once and saves it to the workspace. */
  change(choice: DisplayTimeZone): void;
  /** A change can be saved (connected to the engine, the workspace read). */
  available: boolean;
}

/**
 * The workspace's choice, or the one just made while it is being saved. When saving fails (a
 * read-only workspace) the choice holds for this window only, and `onError` says so.
 */
export function useDisplayTimeZone(
  client: RpcClient | null,
  workspace: WorkspaceConfig | null,
  onSaved: () => void,
  onError: (message: string) => void,
): DisplayTimeZoneControl {
  const saved = workspace?.display.timeZone ?? 'local';
  const [override, setOverride] = useState<DisplayTimeZone | null>(null);
  useEffect(() => {
    if (override === saved) setOverride(null);
  }, [override, saved]);
  const choice = override ?? saved;

  const display = workspace?.display;
  const change = useCallback(
    (next: DisplayTimeZone) => {
      if (!client || !display) return;
      setOverride(next);
      client
        .call('saveDisplay', { display: { ...display, timeZone: next } })
        .then(onSaved)
        .catch((error: Error) =>
          onError(
            `times are shown in ${FORMATS[next].label} in this window only: saving the choice failed: ${error.message}`,
          ),
        );
    },
    [client, display, onSaved, onError],
  );
  return { choice, format: FORMATS[choice], change, available: client !== null && display !== undefined };
}

/** Local time or UTC, as two radio buttons (arrow keys switch): the status bar's marker and switch. */
export function TimeZoneToggle({ control }: { control: DisplayTimeZoneControl }) {
  return (
    <span
      className="status-item time-zone"
      role="radiogroup"
      aria-label="Show times in"
      data-testid="time-zone"
      data-value={control.choice}
      title="Which clock every time in the console is shown on; saved in the workspace"
    >
      <span aria-hidden="true">times</span>
      {CHOICES.map((choice) => (
        <label key={choice} className={`time-zone-choice${control.choice === choice ? ' chosen' : ''}`}>
          <input
            type="radio"
            name="display-time-zone"
            value={choice}
            checked={control.choice === choice}
            disabled={!control.available}
            onChange={() => control.change(choice)}
            data-testid={`time-zone-${choice}`}
          />
          <span>{FORMATS[choice].label}</span>
        </label>
      ))}
    </span>
  );
}

/**
 * One instant as the console shows it: the time (dated when `now` is given and it is another day),
 * and in full with its zone on hover and for assistive technology.
 */
export function Timestamp({
  ms,
  precise = false,
  now,
  className,
}: {
  ms: number;
  precise?: boolean;
  now?: number;
  className?: string;
}) {
  const format = useTimeFormat();
  return (
    <time className={className} dateTime={format.iso(ms)} title={format.full(ms)}>
      {now === undefined ? format.time(ms, precise) : format.moment(ms, now, precise)}
    </time>
  );
}
