import { useState } from 'react';
import type { SourceStatus } from '../../shared/api';
import type { RpcClient } from '../../shared/rpc';
import { formatCount, formatRate, formatTime } from './format';

interface SourcesPanelProps {
  /** Null until the engine first reports its status. */
  sources: readonly SourceStatus[] | null;
  client: RpcClient | null;
  /** Disconnected: what is shown is the last state the engine reported. */
  stale: boolean;
  onError(message: string): void;
}

export function SourcesPanel({ sources, client, stale, onError }: SourcesPanelProps) {
  return (
    <section className={`sources${stale ? ' stale' : ''}`} aria-labelledby="sources-title">
      <h2 id="sources-title">Sources{stale && <span className="stale-note"> · last known state</span>}</h2>
      {sources === null || sources.length === 0 ? (
        <p className="empty">{sources === null ? 'Waiting for the engine…' : 'No sources configured.'}</p>
      ) : (
        <ul>
          {sources.map((s) => (
            <SourceRow key={s.id} source={s} client={client} onError={onError} />
          ))}
        </ul>
      )}
    </section>
  );
}

function SourceRow({
  source,
  client,
  onError,
}: {
  source: SourceStatus;
  client: RpcClient | null;
  onError(message: string): void;
}) {
  const [pending, setPending] = useState(false);
  // The engine reports a disabled source as "stopped" and nothing else does.
  const enabled = source.state !== 'stopped';
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
  return (
    <li className="source" data-testid={`source-${source.id}`}>
      <div className="source-head">
        <span className={`dot state-${source.state}`} aria-hidden="true" />
        <span className="source-name" title={source.id}>
          {source.name}
        </span>
        <span className="source-kind">{source.kind}</span>
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
      <div className="source-stats">
        <span className={`state-word state-${source.state}`} data-testid={`source-state-${source.id}`}>
          {source.state}
        </span>
        <span title="messages per second">{formatRate(source.messageRate)} msg/s</span>
        <span title="messages that could not be decoded, kept in quarantine">
          {formatCount(source.quarantined)} quarantined
        </span>
        <span title="messages dropped because a consumer fell behind">{formatCount(source.shed)} shed</span>
      </div>
      {source.lastError && (
        <div className="source-error" role="status">
          {source.lastErrorAt !== null && <time>{formatTime(source.lastErrorAt)}</time>} {source.lastError}
        </div>
      )}
    </li>
  );
}
