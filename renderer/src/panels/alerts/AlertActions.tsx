// Acknowledging and silencing alert instances from the alerts panel, and the list of silences.
// Who acts is a name typed once and remembered in localStorage; it goes into the audit log.
import { useCallback, useState } from 'react';
import type { AlertInstanceInfo, SilenceInfo } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { MATCHER_OPS, matchersFor, matcherText, type Matcher } from '../../../../shared/silences';
import { Timestamp } from '../../time-zone';
import { useSubscription } from '../../useSubscription';

const ACTOR_KEY = 'opsdeck.actor';
export const DEFAULT_ACTOR = 'console';

export function useActor(): [string, (name: string) => void] {
  const [actor, setActor] = useState(() => {
    try {
      return localStorage.getItem(ACTOR_KEY) || DEFAULT_ACTOR;
    } catch {
      return DEFAULT_ACTOR;
    }
  });
  const remember = useCallback((name: string) => {
    setActor(name);
    try {
      localStorage.setItem(ACTOR_KEY, name);
    } catch {
      // Storage refused: the name lasts for this page only.
    }
  }, []);
  return [actor, remember];
}

/** The actor as sent: what was typed, or the default when the field is empty. */
export function actorName(actor: string): string {
  return actor.trim() || DEFAULT_ACTOR;
}

/** Silences as the engine pushes them: when one is created or expired, and as they start and end. */
export function useSilences(client: RpcClient | null): { silences: SilenceInfo[]; error: string | null } {
  const [silences, setSilences] = useState<SilenceInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  useSubscription(
    client,
    'silences',
    {},
    (list) => {
      setSilences(list);
      setError(null);
    },
    setError,
  );
  return { silences, error };
}

interface ActionProps {
  client: RpcClient | null;
  actor: string;
  inst: AlertInstanceInfo;
  /** Something changed: read alerts (and silences) again. */
  onChanged(): void;
}

const ACKABLE = new Set<AlertInstanceInfo['state']>(['pending', 'firing', 'recovering', 'nodata', 'error']);

/** Ack / Unack and Silence… for one instance, each opening a small inline form. */
export function InstanceActions({ client, actor, inst, onChanged }: ActionProps) {
  const [open, setOpen] = useState<'ack' | 'silence' | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [matchers, setMatchers] = useState<Matcher[]>(() => matchersFor(inst.rule, inst.labels));
  const [hours, setHours] = useState(1);

  const run = (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    call().then(
      () => {
        setBusy(false);
        setOpen(null);
        setComment('');
        onChanged();
      },
      (e: Error) => {
        setBusy(false);
        setError(e.message);
      },
    );
  };

  if (!client) return null;
  const who = actorName(actor);
  return (
    <div className="alert-actions">
      {inst.acknowledged ? (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(() => client.call('unackAlert', { rule: inst.rule, labels: inst.labels, actor: who }))
          }
        >
          Unack
        </button>
      ) : (
        ACKABLE.has(inst.state) && (
          <button
            type="button"
            aria-expanded={open === 'ack'}
            onClick={() => setOpen(open === 'ack' ? null : 'ack')}
            data-testid={`ack-${inst.rule}`}
          >
            Ack
          </button>
        )
      )}
      <button
        type="button"
        aria-expanded={open === 'silence'}
        onClick={() => {
          setMatchers(matchersFor(inst.rule, inst.labels));
          setOpen(open === 'silence' ? null : 'silence');
        }}
      >
        Silence…
      </button>
      {open === 'ack' && (
        <form
          className="alert-form"
          onSubmit={(e) => {
            e.preventDefault();
            run(() => client.call('ackAlert', { rule: inst.rule, labels: inst.labels, actor: who, comment }));
          }}
        >
          <label>
            Comment (optional)
            <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} />
          </label>
          <button type="submit" disabled={busy}>
            Acknowledge as {who}
          </button>
          <button type="button" onClick={() => setOpen(null)}>
            Cancel
          </button>
        </form>
      )}
      {open === 'silence' && (
        <form
          className="alert-form"
          onSubmit={(e) => {
            e.preventDefault();
            run(() =>
              client.call('createSilence', {
                matchers,
                endsAt: Date.now() + hours * 3_600_000,
                createdBy: who,
                comment,
              }),
            );
          }}
        >
          <fieldset>
            <legend>Matchers (all must hold)</legend>
            {matchers.map((m, i) => (
              <div key={i} className="matcher-row">
                <input
                  aria-label="label name"
                  value={m.name}
                  onChange={(e) =>
                    setMatchers(matchers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))
                  }
                />
                <select
                  aria-label="operator"
                  value={m.op}
                  onChange={(e) =>
                    setMatchers(
                      matchers.map((x, j) => (j === i ? { ...x, op: e.target.value as Matcher['op'] } : x)),
                    )
                  }
                >
                  {MATCHER_OPS.map((op) => (
                    <option key={op} value={op}>
                      {op}
                    </option>
                  ))}
                </select>
                <input
                  aria-label="value"
                  value={m.value}
                  onChange={(e) =>
                    setMatchers(matchers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))
                  }
                />
                <button
                  type="button"
                  aria-label={`remove matcher ${matcherText(m)}`}
                  onClick={() => setMatchers(matchers.filter((_x, j) => j !== i))}
                >
                  ×
                </button>
              </div>
            ))}
          </fieldset>
          <label>
            For
            <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              <option value={1}>1 hour</option>
              <option value={4}>4 hours</option>
              <option value={24}>24 hours</option>
            </select>
          </label>
          <label>
            Comment
            <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} />
          </label>
          <button type="submit" disabled={busy || matchers.length === 0}>
            Silence as {who}
          </button>
          <button type="button" onClick={() => setOpen(null)}>
            Cancel
          </button>
        </form>
      )}
      {error && <span className="alerts-problem">{error}</span>}
    </div>
  );
}

/** Acknowledged by whom, and the silences that hold its notifications back. */
export function InstanceMarks({ inst }: { inst: AlertInstanceInfo }) {
  return (
    <>
      {inst.acknowledged && (
        <span
          className="badge alert-acked"
          title={inst.ackComment ? `comment: ${inst.ackComment}` : undefined}
          data-testid={`acked-${inst.rule}`}
        >
          acked by {inst.acknowledgedBy}
          {inst.acknowledgedAt !== null && (
            <>
              {' at '}
              <Timestamp ms={inst.acknowledgedAt} now={Date.now()} />
            </>
          )}
        </span>
      )}
      {inst.silencedBy.length > 0 && (
        <span className="badge alert-silenced" title={`silence ${inst.silencedBy.join(', ')}`}>
          silenced
        </span>
      )}
    </>
  );
}

interface SilenceListProps {
  client: RpcClient | null;
  actor: string;
  silences: SilenceInfo[];
  error: string | null;
  onChanged(): void;
}

export function SilenceList({ client, actor, silences, error, onChanged }: SilenceListProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const expire = (id: string) => {
    if (!client) return;
    client.call('expireSilence', { id, actor: actorName(actor) }).then(
      () => {
        setProblem(null);
        onChanged();
      },
      (e: Error) => setProblem(e.message),
    );
  };
  return (
    <section className="alert-silences" aria-labelledby="alert-silences-title">
      <h3 id="alert-silences-title">Silences</h3>
      {(error ?? problem) && <p className="alerts-problem">{error ?? problem}</p>}
      {silences.length === 0 ? (
        <p className="empty">None.</p>
      ) : (
        <ul data-testid="alert-silences">
          {silences.map((s) => (
            <li key={s.id} className={`silence silence-${s.status}`} data-status={s.status}>
              <span className={`badge silence-status`}>{s.status}</span>
              <code>{s.matchers.map(matcherText).join(', ')}</code>
              <span className="dim">
                by {s.createdBy}, {s.status === 'expired' ? 'ended' : 'until'}{' '}
                <Timestamp ms={s.endsAt} now={Date.now()} />
              </span>
              {s.comment && <span className="silence-comment">{s.comment}</span>}
              {s.status !== 'expired' && client && (
                <button type="button" onClick={() => expire(s.id)}>
                  Expire
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
