import { useState } from 'react';
import { RATE_WINDOW_SECONDS, type SourceStatus } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { sourceKindOf, type SourceConfig } from '../../../../shared/schemas';
import { formatCount, formatRate } from '../../format';
import { whyNotRunning } from '../../source-state';
import { Timestamp } from '../../time-zone';
import { TopicTree } from '../topics/TopicTree';
import { useDismissable } from '../../widgets/useDismissable';

/** Warnings about security (verification off, passwords in the clear) are red; others amber. */
const SECURITY_WARNING = /certificate|verif|insecure|plain ?text|unencrypted|password|anonymous|tls/i;

interface SourcesPanelProps {
  /** Null until the engine first reports its status. */
  sources: readonly SourceStatus[] | null;
  /** The sources as configured in the workspace, for editing; null until read. */
  configs: readonly SourceConfig[] | null;
  client: RpcClient | null;
  /** Disconnected: what is shown is the last state the engine reported. */
  stale: boolean;
  readOnly: boolean;
  selected: { source: string; topic: string } | null;
  onSelectTopic(sourceId: string, topic: string): void;
  /** The source whose console is open, if any. */
  consoleSource: string | null;
  onToggleConsole(sourceId: string): void;
  /** The Kafka source whose cluster browser is open, if any. */
  clusterSource: string | null;
  onToggleCluster(sourceId: string): void;
  onAdd(): void;
  onEdit(config: SourceConfig): void;
  onPublish(sourceId: string, topic: string): void;
  /** After a source was removed here. */
  onChanged(): void;
  onError(message: string): void;
}

export function SourcesPanel({
  sources,
  configs,
  client,
  stale,
  readOnly,
  onAdd,
  ...rest
}: SourcesPanelProps) {
  // Imports and re-decodes ingest under names of their own, with no configuration: they are
  // listed apart, with nothing to switch, edit or remove.
  const configured = sources && configs ? sources.filter((s) => configs.some((c) => c.id === s.id)) : sources;
  const internal = sources && configs ? sources.filter((s) => !configs.some((c) => c.id === s.id)) : [];
  return (
    <section className={`sources${stale ? ' stale' : ''}`} aria-labelledby="sources-title">
      <div className="section-head">
        <h2 id="sources-title">Sources{stale && <span className="stale-note"> · last known state</span>}</h2>
        <button
          type="button"
          className="small"
          onClick={onAdd}
          disabled={!client || readOnly}
          title={readOnly ? 'The workspace is open read-only' : 'Add a source'}
          data-testid="add-source"
        >
          + Source
        </button>
      </div>
      {configured === null || configured.length === 0 ? (
        <p className="empty">{configured === null ? 'Waiting for the engine…' : 'No sources configured.'}</p>
      ) : (
        <ul>
          {configured.map((s) => (
            <SourceRow
              key={s.id}
              source={s}
              config={configs?.find((c) => c.id === s.id) ?? null}
              client={client}
              readOnly={readOnly}
              {...rest}
            />
          ))}
        </ul>
      )}
      {internal.length > 0 && (
        <>
          <h3 className="sources-internal-head">Imports and re-decodes</h3>
          <ul>
            {internal.map((s) => (
              <li key={s.id} className="source source-internal" data-testid={`source-${s.id}`}>
                <div className="source-head">
                  <span className="source-name" title={s.id}>
                    {s.name}
                  </span>
                  <span className="source-kind">{s.kind}</span>
                </div>
                <div className="source-stats">
                  <span title="what each import or re-decode took in is on the jobs board">
                    not a live source
                  </span>
                  <span title="lines that could not be parsed, kept in quarantine">
                    {formatCount(s.quarantined)} quarantined
                  </span>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function SourceRow({
  source,
  config,
  client,
  readOnly,
  selected,
  onSelectTopic,
  consoleSource,
  onToggleConsole,
  clusterSource,
  onToggleCluster,
  onEdit,
  onPublish,
  onChanged,
  onError,
}: Omit<SourcesPanelProps, 'sources' | 'configs' | 'stale' | 'onAdd'> & {
  source: SourceStatus;
  config: SourceConfig | null;
}) {
  const [pending, setPending] = useState(false);
  const [topicsOpen, setTopicsOpen] = useState(true);
  const [confirmRemove, setConfirmRemove] = useState(false);
  // The engine reports a disabled source as "stopped" and nothing else does.
  const enabled = source.state !== 'stopped';
  // What the row offers is what the source's kind declares (shared/sources/).
  const capabilities = sourceKindOf(source.kind)?.capabilities;
  const hasTopics = capabilities?.topics ?? false;
  const hasConsole = capabilities?.console ?? false;
  const consoleOpen = consoleSource === source.id;
  const clusterOpen = clusterSource === source.id;
  const toggle = async () => {
    if (!client) return;
    setPending(true);
    try {
      await client.call('setSourceEnabled', { id: source.id, enabled: !enabled });
    } catch (error) {
      onError(
        `${enabled ? 'disabling' : 'enabling'} source "${source.id}" failed: ${(error as Error).message}`,
      );
    } finally {
      setPending(false);
    }
  };
  const remove = async () => {
    if (!client) return;
    setPending(true);
    try {
      await client.call('removeSource', { id: source.id });
      onChanged();
    } catch (error) {
      onError(`removing source "${source.id}" failed: ${(error as Error).message}`);
    } finally {
      setPending(false);
      setConfirmRemove(false);
    }
  };
  return (
    <li className="source" data-testid={`source-${source.id}`}>
      <div className="source-head">
        <span className={`dot state-${source.state}`} aria-hidden="true" />
        <span className="source-name" title={source.id}>
          {source.name}
        </span>
        <span className="source-kind">{source.kind}</span>
        <SourceMenu
          label={`${source.name} actions`}
          testId={`source-menu-${source.id}`}
          items={[
            ...(capabilities?.publish
              ? [
                  {
                    label: 'Publish…',
                    disabled: !client || !enabled,
                    testId: `source-publish-${source.id}`,
                    run: () => onPublish(source.id, selected?.source === source.id ? selected.topic : ''),
                  },
                ]
              : []),
            ...(hasConsole
              ? [
                  {
                    label: consoleOpen ? 'Close the console' : 'Console',
                    disabled: false,
                    testId: `source-console-${source.id}`,
                    run: () => onToggleConsole(source.id),
                  },
                ]
              : []),
            ...(capabilities?.cluster
              ? [
                  {
                    label: clusterOpen ? 'Close the cluster browser' : 'Browse the cluster',
                    disabled: !client || !enabled,
                    testId: `source-cluster-${source.id}`,
                    run: () => onToggleCluster(source.id),
                  },
                ]
              : []),
            {
              label: 'Edit…',
              disabled: !client || readOnly || !config,
              testId: `source-edit-${source.id}`,
              run: () => config && onEdit(config),
            },
            {
              label: 'Remove…',
              disabled: !client || readOnly || !config,
              testId: `source-remove-${source.id}`,
              run: () => setConfirmRemove(true),
            },
          ]}
        />
        <button
          type="button"
          role="switch"
          className="switch"
          aria-checked={enabled}
          aria-label={`${source.name} enabled`}
          title={enabled ? 'Disable this source' : 'Enable this source'}
          disabled={!client || pending}
          onClick={() => void toggle()}
        >
          <span className="switch-knob" />
        </button>
      </div>
      {source.warnings.length > 0 && (
        <ul className="source-warnings" data-testid={`source-warnings-${source.id}`}>
          {source.warnings.map((w) => (
            <li
              key={w}
              className={`badge ${SECURITY_WARNING.test(w) ? 'badge-danger' : 'badge-warn'}`}
              role="alert"
            >
              <span aria-hidden="true">⚠</span> {w}
            </li>
          ))}
        </ul>
      )}
      {confirmRemove && (
        <div className="confirm" role="group" aria-label={`Remove ${source.name}?`}>
          <span>Remove “{source.name}”? It stops; stored data stays.</span>
          <button
            type="button"
            className="danger"
            disabled={pending}
            onClick={() => void remove()}
            data-testid={`source-remove-confirm-${source.id}`}
          >
            Remove
          </button>
          <button type="button" onClick={() => setConfirmRemove(false)} autoFocus>
            Keep
          </button>
        </div>
      )}
      <div className="source-stats">
        <span className={`state-word state-${source.state}`} data-testid={`source-state-${source.id}`}>
          {source.state}
        </span>
        <span
          title={`messages received per second, average of the last ${RATE_WINDOW_SECONDS} s (the topic tree counts the same)`}
          data-testid={`source-rate-${source.id}`}
          data-value={source.messageRate}
        >
          {formatRate(source.messageRate)} msg/s
        </span>
        <span title="messages that could not be decoded, kept in quarantine">
          {formatCount(source.quarantined)} quarantined
        </span>
        <span title="messages dropped because a consumer fell behind">{formatCount(source.shed)} shed</span>
        {hasConsole && source.state === 'disconnected' && (
          <span title="retried quietly with backoff until the device is back">retrying</span>
        )}
      </div>
      {source.endpoint && (
        <div className="source-endpoint" title="where this source connects or listens">
          {source.endpoint}
        </div>
      )}
      {source.lastError && <SourceError source={source} />}
      {hasConsole && (
        <div className="source-topics">
          <button
            type="button"
            className="disclosure"
            aria-pressed={consoleOpen}
            onClick={() => onToggleConsole(source.id)}
            title="Raw traffic both ways, and a line to send commands"
            data-testid={`console-toggle-${source.id}`}
          >
            {consoleOpen ? '▾' : '▸'} Console
          </button>
        </div>
      )}
      {hasTopics && (
        <div className="source-topics">
          <button
            type="button"
            className="disclosure"
            aria-expanded={topicsOpen}
            onClick={() => setTopicsOpen((o) => !o)}
            data-testid={`topics-toggle-${source.id}`}
          >
            {topicsOpen ? '▾' : '▸'} Topics
          </button>
          {topicsOpen && (
            <TopicTree
              sourceId={source.id}
              client={client}
              notRunning={whyNotRunning(source)}
              selectedTopic={selected?.source === source.id ? selected.topic : null}
              onSelect={onSelectTopic}
            />
          )}
        </div>
      )}
    </li>
  );
}

/** The last error in plain words; what the library said stays one click away. */
function SourceError({ source }: { source: SourceStatus }) {
  const [open, setOpen] = useState(false);
  const detail = source.lastErrorDetail;
  return (
    <div className="source-error" role="status" data-testid={`source-error-${source.id}`}>
      {source.lastErrorAt !== null && <Timestamp ms={source.lastErrorAt} />} {source.lastError}
      {detail && (
        <>
          {' '}
          <button
            type="button"
            className="link-button"
            aria-expanded={open}
            onClick={() => setOpen((o) => !o)}
            data-testid={`source-error-details-${source.id}`}
          >
            {open ? 'hide details' : 'details'}
          </button>
          {open && <pre className="source-error-detail">{detail}</pre>}
        </>
      )}
    </div>
  );
}

interface MenuItem {
  label: string;
  disabled: boolean;
  testId: string;
  run(): void;
}

/** A small "⋯" menu on a <details>: keyboard reachable, closed by Escape or a click elsewhere. */
function SourceMenu({ label, items, testId }: { label: string; items: MenuItem[]; testId: string }) {
  const ref = useDismissable();
  return (
    <details className="menu" ref={ref}>
      <summary aria-label={label} title="Actions" data-testid={testId}>
        ⋯
      </summary>
      <div className="menu-items" role="menu">
        {items.map((item) => (
          <button
            key={item.label}
            type="button"
            role="menuitem"
            disabled={item.disabled}
            data-testid={item.testId}
            onClick={() => {
              if (ref.current) ref.current.open = false;
              item.run();
            }}
          >
            {item.label}
          </button>
        ))}
      </div>
    </details>
  );
}
