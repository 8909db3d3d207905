// "What would have fired": the rule being edited (a draft) replayed over the console's range, or
// over everything stored, in a replay session (nothing stored, nobody paged), listed beside what
// live evaluation paged in the same range. The same path as `opsdeck rules test`.
import { useState } from 'react';
import type { AlertRuleInput } from '../../../../shared/alerts';
import type { AlertTransitionInfo, WouldHaveFiredResult } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { useConsoleTime } from '../../console-time';
import { errorText } from '../../format';
import { useTimeFormat } from '../../time-zone';

function Transitions({ items, testId }: { items: readonly AlertTransitionInfo[]; testId: string }) {
  const format = useTimeFormat();
  const shown = items.filter((t) => t.state === 'firing' || t.state === 'resolved');
  if (shown.length === 0) return <p className="dim">Nothing fired.</p>;
  return (
    <ol className="rule-preview-list" data-testid={testId}>
      {shown.slice(0, 50).map((t) => (
        <li key={`${t.ts}-${t.state}-${JSON.stringify(t.labels)}`} data-state={t.state}>
          {format.date(t.ts)} {format.time(t.ts, true)} {t.state}
          {t.value !== null ? ` · ${t.value}` : ''}
        </li>
      ))}
    </ol>
  );
}

export function WouldHaveFired({ client, rule }: { client: RpcClient | null; rule: AlertRuleInput | null }) {
  const [time] = useConsoleTime();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<WouldHaveFiredResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    if (!client || !rule) return;
    setBusy(true);
    setError(null);
    try {
      setResult(
        await client.call('wouldHaveFired', {
          rules: [rule],
          ...(time.range ? { from: time.range.from, to: time.range.to } : {}),
          defaultRange: 'allStored',
        }),
      );
    } catch (e) {
      setError(errorText(e));
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="rule-preview" aria-label="What would have fired" data-testid="would-have-fired">
      <h3>
        What would have fired{' '}
        <button type="button" onClick={() => void run()} disabled={!client || !rule || busy}>
          {busy ? 'Replaying…' : time.range ? 'Replay the selected range' : 'Replay everything stored'}
        </button>
      </h3>
      {error && (
        <p className="form-problems" role="alert">
          {error}
        </p>
      )}
      {result && (
        <div
          className="would-have-fired"
          style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 12 }}
        >
          <div>
            <h4>This rule, replayed ({result.firings} firing)</h4>
            <Transitions items={result.transitions} testId="would-have-fired-draft" />
          </div>
          <div>
            <h4>Paged live</h4>
            <Transitions items={result.live} testId="would-have-fired-live" />
          </div>
        </div>
      )}
    </section>
  );
}
