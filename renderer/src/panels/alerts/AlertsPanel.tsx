// The alerts panel: every alert instance, firing first, with its rule's severity, labels, current
// value and rendered summary; the recent transitions; and a switch for desktop notifications.
// Instances can be acknowledged and silenced (AlertActions.tsx); the silences are listed too.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AlertInstanceInfo, AlertTransitionInfo } from '../../../../shared/api';
import type { AlertRule, NotifierConfig } from '../../../../shared/alerts';
import type { SourceConfig } from '../../../../shared/schemas';
import { NotifierList } from '../notifiers/NotifierList';
import { formatValue } from '../../format';
import type { RpcClient } from '../../../../shared/rpc';
import { InstanceActions, InstanceMarks, SilenceList, useActor, useSilences } from './AlertActions';
import { RuleList } from './RuleEditor';
import { Timestamp } from '../../time-zone';
import { instanceKey, isFiring, latestByInstance, type AlertsData } from './useAlerts';

const SHOWN_TRANSITIONS = 100;

type Group = 'firing' | 'pending' | 'other';
const GROUPS: { id: Group; title: string }[] = [
  { id: 'firing', title: 'Firing' },
  { id: 'pending', title: 'Pending' },
  { id: 'other', title: 'Other' },
];

function groupOf(state: AlertInstanceInfo['state']): Group {
  if (isFiring(state)) return 'firing';
  if (state === 'pending') return 'pending';
  return 'other';
}

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

function valueText(v: number | null): string {
  return v === null ? '—' : formatValue(v);
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/**
 * The rule's template with what the page knows now: used only when the instance has no transition
 * in the list (whose annotations the engine rendered at the time).
 */
function renderTemplate(text: string, rule: AlertRule | undefined, inst: AlertInstanceInfo): string {
  return text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => {
    if (name === 'value') return valueText(inst.value);
    if (name === 'channel') return rule && 'channel' in rule ? rule.channel : '';
    if (name === 'rule') return inst.rule;
    if (name === 'severity') return rule?.severity ?? '';
    if (name === 'state') return inst.state;
    if (name.startsWith('labels.')) return inst.labels[name.slice(7)] ?? '';
    return whole;
  });
}

// ---- desktop notifications (desktop app and browser host) ------------------------------------------------------

const NOTIFY_KEY = 'opsdeck.alertNotifications';

export interface DesktopNotifications {
  /** The page can show notifications at all (a browser with the Notification API). */
  available: boolean;
  enabled: boolean;
  /** Why they are off although asked for, e.g. "permission denied". */
  problem: string | null;
  /** Only from a user gesture: asks for permission the first time. */
  toggle(): void;
  notify(t: AlertTransitionInfo): void;
}

function notificationApi(): typeof Notification | null {
  // In the Electron window the same API raises native desktop notifications (the main process
  // grants only the 'notifications' permission); in the browser host, the browser's own.
  return typeof window.Notification === 'function' ? window.Notification : null;
}

export function useDesktopNotifications(): DesktopNotifications {
  const api = notificationApi();
  const [wanted, setWanted] = useState(() => {
    try {
      return localStorage.getItem(NOTIFY_KEY) === 'on';
    } catch {
      return false;
    }
  });
  const [problem, setProblem] = useState<string | null>(null);
  const enabled = wanted && api !== null && api.permission === 'granted';
  const enabledRef = useRef(enabled);
  useEffect(() => {
    enabledRef.current = enabled;
  }, [enabled]);

  const remember = (on: boolean) => {
    setWanted(on);
    try {
      localStorage.setItem(NOTIFY_KEY, on ? 'on' : 'off');
    } catch {
      // Storage refused (private mode): it lasts for this page only.
    }
  };

  const toggle = () => {
    if (!api) return;
    if (enabled) {
      remember(false);
      return;
    }
    if (api.permission === 'granted') {
      setProblem(null);
      remember(true);
      return;
    }
    if (api.permission === 'denied') {
      setProblem('notifications are blocked for this page in the browser settings');
      return;
    }
    Promise.resolve(api.requestPermission())
      .then((permission) => {
        if (permission === 'granted') {
          setProblem(null);
          remember(true);
        } else setProblem(`permission ${permission === 'denied' ? 'denied' : 'not given'}`);
      })
      .catch((error: Error) => setProblem(`cannot ask for permission: ${error.message}`));
  };

  const notify = useCallback(
    (t: AlertTransitionInfo) => {
      if (!enabledRef.current || !api || t.state !== 'firing' || isFiring(t.from)) return;
      try {
        const labels = labelsText(t.labels);
        new api(`${t.severity.toUpperCase()}: ${t.rule} firing`, {
          body: t.annotations['summary'] ?? `value ${valueText(t.value)}${labels ? ` (${labels})` : ''}`,
          tag: `opsdeck-${instanceKey(t.rule, t.labels)}`,
        });
      } catch {
        // Some browsers only show notifications from a service worker: nothing to do then.
      }
    },
    [api],
  );

  return { available: api !== null, enabled, problem, toggle, notify };
}

// ---- the panel ---------------------------------------------------------------------------------

interface AlertsPanelProps {
  alerts: AlertsData;
  /** Null while disconnected or read-only: no acks or silences then. */
  client: RpcClient | null;
  rules: readonly AlertRule[];
  /** Where alerts go (`alerting.notifiers`). */
  notifiers: readonly NotifierConfig[];
  /** The workspace's sources, for an MQTT notifier. */
  sources: readonly SourceConfig[];
  /** The connection is down: what is shown is what was last known. */
  stale: boolean;
  notifications: DesktopNotifications;
  /** The rules were saved: read the workspace again. */
  onRulesChanged?(): void;
  onClose(): void;
}

export function AlertsPanel({
  alerts,
  client,
  rules,
  notifiers,
  sources,
  stale,
  notifications,
  onRulesChanged,
  onClose,
}: AlertsPanelProps) {
  const [actor, setActor] = useActor();
  const silences = useSilences(client);
  // An ack or a silence needs no re-read here: the engine pushes the alerts and silences it changed.
  const changed = useCallback(() => undefined, []);
  const ruleById = useMemo(() => new Map(rules.map((r) => [r.id, r])), [rules]);
  const latest = useMemo(() => latestByInstance(alerts.transitions), [alerts.transitions]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  const grouped = useMemo(() => {
    const out: Record<Group, AlertInstanceInfo[]> = { firing: [], pending: [], other: [] };
    for (const inst of alerts.instances ?? []) out[groupOf(inst.state)].push(inst);
    const severity = (i: AlertInstanceInfo) => SEVERITY_RANK[ruleById.get(i.rule)?.severity ?? 'info'];
    for (const list of Object.values(out))
      list.sort((a, b) => severity(a) - severity(b) || a.rule.localeCompare(b.rule));
    return out;
  }, [alerts.instances, ruleById]);

  const shownTransitions = alerts.transitions.slice(0, SHOWN_TRANSITIONS);
  const now = Date.now();

  return (
    <aside className="alerts-panel" data-testid="alerts-panel" aria-labelledby="alerts-title">
      <header className="detail-head">
        <h2 id="alerts-title" ref={headingRef} tabIndex={-1}>
          <span className="detail-source">Alerts</span>
          <span className="alerts-summary">
            {alerts.instances === null
              ? 'loading…'
              : `${grouped.firing.length} firing, ${grouped.pending.length} pending, ${rules.length} ${rules.length === 1 ? 'rule' : 'rules'}`}
          </span>
        </h2>
        <div className="detail-tools">
          <button type="button" onClick={onClose} aria-label="Close the alerts panel">
            Close
          </button>
        </div>
      </header>
      <div className="alerts-tools">
        {notifications.available ? (
          <label className="check">
            <input
              type="checkbox"
              checked={notifications.enabled}
              onChange={notifications.toggle}
              data-testid="alerts-notifications"
            />
            <span>Desktop notifications when an alert fires</span>
          </label>
        ) : (
          <span className="dim">Desktop notifications are not available here.</span>
        )}
        {notifications.problem && <span className="alerts-problem">{notifications.problem}</span>}
        <label className="alerts-actor">
          <span>Acting as</span>
          <input
            value={actor}
            onChange={(e) => setActor(e.target.value)}
            placeholder="console"
            maxLength={128}
            data-testid="alerts-actor"
          />
        </label>
        {stale && <span className="stale-note">disconnected: showing what was last known</span>}
        {alerts.error && (
          <span className="alerts-problem" title={alerts.error}>
            reading alerts failed: {alerts.error}
          </span>
        )}
      </div>
      <div className="alerts-body">
        {alerts.instances !== null && alerts.instances.length === 0 && (
          <p className="empty">
            {rules.length === 0
              ? 'No alert rules: add one under Rules below (they are saved in opsdeck.json).'
              : 'No alert instances yet: rules start once their channels have data.'}
          </p>
        )}
        {GROUPS.map(({ id, title }) =>
          grouped[id].length === 0 ? null : (
            <section key={id} className={`alert-group alert-group-${id}`} aria-label={`${title} alerts`}>
              <h3>
                {title} <span className="dim">({grouped[id].length})</span>
              </h3>
              <ul>
                {grouped[id].map((inst) => {
                  const rule = ruleById.get(inst.rule);
                  const last = latest.get(instanceKey(inst.rule, inst.labels));
                  const severity = rule?.severity ?? last?.severity ?? 'info';
                  const template = rule?.annotations['summary'];
                  const summary =
                    last?.annotations['summary'] ??
                    (template !== undefined ? renderTemplate(template, rule, inst) : undefined);
                  const labels = Object.entries(inst.labels);
                  return (
                    <li
                      key={instanceKey(inst.rule, inst.labels)}
                      className={`alert-row alert-state-${inst.state}`}
                      data-testid={`alert-${inst.rule}`}
                      data-state={inst.state}
                      tabIndex={0}
                      aria-label={`${inst.rule}: ${inst.state}, ${severity}, value ${valueText(inst.value)}${summary ? `. ${summary}` : ''}`}
                    >
                      <div className="alert-line">
                        <span className={`badge severity severity-${severity}`}>{severity}</span>
                        <span className="alert-rule">{inst.rule}</span>
                        <span className={`alert-state state-${inst.state}`}>{inst.state}</span>
                        <span className="alert-value" title="current value">
                          {valueText(inst.value)}
                        </span>
                        <InstanceMarks inst={inst} />
                      </div>
                      {summary && <p className="alert-summary">{summary}</p>}
                      {(labels.length > 0 || last) && (
                        <div className="alert-meta">
                          {labels.map(([k, v]) => (
                            <span key={k} className="alert-label">
                              {k}={v}
                            </span>
                          ))}
                          {last && (
                            <span className="dim">
                              since <Timestamp ms={last.ts} now={now} />
                            </span>
                          )}
                        </div>
                      )}
                      <InstanceActions client={client} actor={actor} inst={inst} onChanged={changed} />
                    </li>
                  );
                })}
              </ul>
            </section>
          ),
        )}
        <RuleList
          client={client}
          rules={rules}
          notifiers={notifiers.map((n) => n.id)}
          instances={alerts.instances}
          onChanged={() => {
            onRulesChanged?.();
          }}
        />
        <NotifierList
          client={client}
          notifiers={notifiers}
          sources={sources}
          onChanged={() => onRulesChanged?.()}
        />
        <SilenceList
          client={client}
          actor={actor}
          silences={silences.silences}
          error={silences.error}
          onChanged={changed}
        />
        <section className="alert-transitions" aria-labelledby="alert-transitions-title">
          <h3 id="alert-transitions-title">Recent transitions</h3>
          {shownTransitions.length === 0 ? (
            <p className="empty">None yet.</p>
          ) : (
            <ol data-testid="alert-transitions">
              {shownTransitions.map((t) => (
                <li
                  key={`${t.ts}|${instanceKey(t.rule, t.labels)}|${t.from}|${t.state}`}
                  className="alert-transition"
                  data-rule={t.rule}
                  data-from={t.from}
                  data-state={t.state}
                >
                  <Timestamp ms={t.ts} now={now} />
                  <span className="alert-rule">{t.rule}</span>
                  <span className="alert-change">
                    <span className={`alert-state state-${t.from}`}>{t.from}</span>
                    <span aria-label="to"> → </span>
                    <span className={`alert-state state-${t.state}`}>{t.state}</span>
                  </span>
                  <span className="alert-value">{valueText(t.value)}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </aside>
  );
}
