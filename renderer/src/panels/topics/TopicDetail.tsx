// The selected topic: its last message (pretty JSON or text, hex for binary), how it arrived, and
// the numeric fields its decoder found, each one click from a plot. Pushed by the engine as it changes.
import { useEffect, useState } from 'react';
import { RATE_WINDOW_SECONDS, type TopicDetail as Detail } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { useSubscription } from '../../useSubscription';
import { formatAge, formatBytes, formatCount, formatRate, formatValue } from '../../format';
import { useTimeFormat } from '../../time-zone';
import { useConsoleTime } from '../../console-time';
import { errorText } from '../../format';

const MAX_FIELDS = 300;

export type TopicField = Detail['fields'][number];

function ago(ms: number): string {
  const age = formatAge(ms);
  return age === 'now' ? 'just now' : `${age} ago`;
}

interface TopicDetailProps {
  client: RpcClient | null;
  sourceId: string;
  sourceName: string;
  topic: string;
  /** Channel names already in a plot. */
  plotted: ReadonlySet<string>;
  onPlot(field: TopicField): void;
  onPublish(topic: string): void;
  onClose(): void;
}

/**
 * While a replay plays: the topic's payload at the replay cursor, from the source's raw recordings
 * (`record: true`); a source that records none says its values of that moment are not known.
 */
function AtReplayCursor({
  client,
  sourceId,
  topic,
}: {
  client: RpcClient | null;
  sourceId: string;
  topic: string;
}) {
  const [time] = useConsoleTime();
  const format = useTimeFormat();
  const [shown, setShown] = useState<{ text: string; rx: number | null; recorded: boolean } | null>(null);
  const at = time.replaying ? time.cursor : null;
  useEffect(() => {
    if (!client || at === null) return setShown(null);
    let current = true;
    client
      .call('recordedTopics', { source: sourceId, at, prefix: topic, limit: 50 })
      .then((r) => {
        const hit = r.topics.find((t) => t.topic === topic);
        if (current) setShown({ text: hit?.text ?? '', rx: hit?.rx ?? null, recorded: r.recorded });
      })
      .catch((e: unknown) => current && setShown({ text: errorText(e), rx: null, recorded: true }));
    return () => {
      current = false;
    };
  }, [client, sourceId, topic, at]);
  if (at === null || !shown) return null;
  return (
    <section className="detail-section" data-testid="topic-at-replay-cursor">
      <h3>At the replay cursor</h3>
      {!shown.recorded ? (
        <p className="dim">
          This source does not record raw messages (record: true), so its values at the replay cursor are not
          known.
        </p>
      ) : shown.rx === null ? (
        <p className="dim">No message yet at {format.time(at, true)}.</p>
      ) : (
        <>
          <p className="dim">received {format.time(shown.rx, true)}</p>
          <pre className="detail-payload">{shown.text}</pre>
        </>
      )}
    </section>
  );
}

export function TopicDetailPanel({
  client,
  sourceId,
  sourceName,
  topic,
  plotted,
  onPlot,
  onPublish,
  onClose,
}: TopicDetailProps) {
  const timeFormat = useTimeFormat();
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setDetail(null);
    setError(null);
  }, [client, sourceId, topic]);
  useSubscription(
    client,
    'topicDetail',
    { source: sourceId, topic },
    (d) => {
      setDetail(d);
      setError(null);
    },
    setError,
  );

  const now = Date.now();
  const fields = detail?.fields ?? [];
  return (
    <aside className="topic-detail" data-testid="topic-detail" aria-labelledby="topic-detail-title">
      <header className="detail-head">
        <h2 id="topic-detail-title">
          <span className="detail-source">{sourceName}</span>
          <span className="detail-topic" data-testid="topic-detail-topic">
            {topic}
          </span>
        </h2>
        <div className="detail-tools">
          <button
            type="button"
            onClick={() => onPublish(topic)}
            disabled={!client}
            data-testid="detail-publish"
          >
            Publish…
          </button>
          <button type="button" className="icon-button" aria-label="Close the topic detail" onClick={onClose}>
            ×
          </button>
        </div>
      </header>
      <AtReplayCursor client={client} sourceId={sourceId} topic={topic} />
      {error && (
        <p className="detail-error" role="status">
          {error}
        </p>
      )}
      {!detail && !error && <p className="empty detail-pad">Loading…</p>}
      {detail && (
        <div className="detail-body">
          <dl className="detail-meta">
            <dt>Last seen</dt>
            <dd title={detail.lastSeen === null ? undefined : timeFormat.full(detail.lastSeen)}>
              {detail.lastSeen === null ? '—' : ago(now - detail.lastSeen)}
            </dd>
            <dt>Messages</dt>
            <dd>{formatCount(detail.messages)}</dd>
            <dt>Rate</dt>
            <dd title={`messages received per second, average of the last ${RATE_WINDOW_SECONDS} s`}>
              {formatRate(detail.rate)} msg/s
            </dd>
            <dt>QoS</dt>
            <dd>{detail.qos}</dd>
            <dt>Retained</dt>
            <dd>{detail.retained ? <span className="topic-retained">retained</span> : 'no'}</dd>
            <dt>Size</dt>
            <dd>
              {formatBytes(detail.bytes)}
              {detail.truncated && ' (shown in part)'}
            </dd>
            <dt>Decoder</dt>
            <dd>{detail.decoder ?? 'not yet chosen'}</dd>
          </dl>
          {detail.clock && (
            <p className="topic-clock-warning" role="status" data-testid="topic-detail-clock">
              {detail.clock}
            </p>
          )}

          <h3>
            Numeric fields <span className="dim">· click to plot</span>
          </h3>
          {fields.length === 0 ? (
            <p className="empty">None: this payload has no numbers to plot.</p>
          ) : (
            <ul className="detail-fields">
              {fields.slice(0, MAX_FIELDS).map((f) => {
                const isPlotted = plotted.has(f.channel);
                return (
                  <li key={f.path}>
                    <button
                      type="button"
                      className={`field-button${isPlotted ? ' plotted' : ''}`}
                      onClick={() => onPlot(f)}
                      aria-pressed={isPlotted}
                      title={isPlotted ? `${f.channel} is plotted` : `Plot ${f.channel}`}
                      data-testid={`topic-field-${f.path === '' ? 'value' : f.path}`}
                    >
                      <span className="field-path">{f.path === '' ? '(value)' : f.path}</span>
                      <span className="field-value">{formatValue(f.value)}</span>
                      <span className="field-action">{isPlotted ? 'plotted' : 'plot'}</span>
                    </button>
                  </li>
                );
              })}
              {fields.length > MAX_FIELDS && (
                <li className="empty">{formatCount(fields.length - MAX_FIELDS)} more fields not shown.</li>
              )}
            </ul>
          )}

          <h3>Payload{detail.hex !== null && <span className="dim"> · binary, hex</span>}</h3>
          <pre className="detail-payload" data-testid="topic-detail-payload">
            {detail.text ?? detail.hex ?? ''}
          </pre>

          {detail.properties && Object.keys(detail.properties).length > 0 && (
            <>
              <h3>MQTT 5 properties</h3>
              <pre className="detail-payload" data-testid="topic-detail-properties">
                {JSON.stringify(detail.properties, null, 2)}
              </pre>
            </>
          )}
        </div>
      )}
    </aside>
  );
}
