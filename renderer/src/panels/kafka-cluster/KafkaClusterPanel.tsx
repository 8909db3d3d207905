// A Kafka source's cluster: brokers; topics with partitions, earliest/latest offsets, message counts
// and produce rates; consumer groups with state, members and lag per partition; and a chosen
// topic's most recent messages, which the engine reads with Fetch requests of its own, so browsing
// joins no consumer group and leaves no trace on the cluster (engine API `kafkaCluster`).
//
// The cluster has no way to push changes, so this looks again every few seconds while open; the
// rate of a topic is how far its latest offsets moved between two looks.
import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import type { KafkaClusterResult, KafkaRecentMessage } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText, formatCount, formatRate, formatValue } from '../../format';
import { Timestamp } from '../../time-zone';
import { decodedFields, groupLagTotal, recentValuePreview, sortedLag } from './cluster-view';
import './kafka-cluster.css';

/** How often the panel looks again while "auto" is on (not measured: a person reading a table). */
const REFRESH_MS = 5_000;
const RECENT_PER_PARTITION = 10;

interface KafkaClusterPanelProps {
  client: RpcClient | null;
  sourceId: string;
  sourceName: string;
  onClose(): void;
}

export function KafkaClusterPanel({ client, sourceId, sourceName, onClose }: KafkaClusterPanelProps) {
  const [cluster, setCluster] = useState<KafkaClusterResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [lookedAt, setLookedAt] = useState<number | null>(null);
  const [topic, setTopic] = useState<string | null>(null);
  const [auto, setAuto] = useState(true);
  const [openGroups, setOpenGroups] = useState<ReadonlySet<string>>(new Set());
  const inFlight = useRef(false);
  const latest = useRef({ client, sourceId, topic });
  latest.current = { client, sourceId, topic };

  /** One look at a time; a look whose source or topic changed meanwhile is thrown away. */
  const look = useCallback(async () => {
    const asked = latest.current;
    if (!asked.client || inFlight.current) return;
    inFlight.current = true;
    setLoading(true);
    try {
      const result = await asked.client.call('kafkaCluster', {
        source: asked.sourceId,
        ...(asked.topic ? { recentTopic: asked.topic } : {}),
        recentPerPartition: RECENT_PER_PARTITION,
      });
      const now = latest.current;
      if (now.client !== asked.client || now.sourceId !== asked.sourceId || now.topic !== asked.topic) return;
      setCluster(result);
      setError(null);
      setLookedAt(Date.now());
    } catch (e) {
      if (latest.current.sourceId === asked.sourceId) setError(errorText(e));
    } finally {
      inFlight.current = false;
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void look();
  }, [client, sourceId, topic, look]);
  useEffect(() => {
    if (!auto || !client) return;
    const timer = window.setInterval(() => void look(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [auto, client, look]);

  const toggleGroup = (groupId: string) =>
    setOpenGroups((open) => {
      const next = new Set(open);
      if (!next.delete(groupId)) next.add(groupId);
      return next;
    });
  const shownTopic = topic ? cluster?.topics.find((t) => t.name === topic) : undefined;

  return (
    <aside
      className="topic-detail kafka-cluster"
      data-testid="kafka-cluster"
      aria-labelledby="kafka-cluster-title"
    >
      <header className="detail-head">
        <h2 id="kafka-cluster-title">
          <span className="detail-source">Kafka cluster</span>
          <span className="detail-topic">{sourceName}</span>
        </h2>
        <div className="detail-tools">
          <label className="kafka-auto" title={`Look again every ${REFRESH_MS / 1000} s`}>
            <input
              type="checkbox"
              checked={auto}
              onChange={(e) => setAuto(e.target.checked)}
              data-testid="kafka-cluster-auto"
            />
            auto
          </label>
          <button
            type="button"
            onClick={() => void look()}
            disabled={!client || loading}
            data-testid="kafka-cluster-refresh"
          >
            {loading ? 'Reading…' : 'Refresh'}
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label="Close the cluster browser"
            onClick={onClose}
          >
            ×
          </button>
        </div>
      </header>
      {!client && <p className="detail-error">Not connected to the engine.</p>}
      {error && (
        <div className="kafka-error" role="alert" data-testid="kafka-cluster-error">
          <strong>Cannot read the cluster.</strong> {error}
          {cluster && <span className="dim"> What is shown is from the last successful look.</span>}
        </div>
      )}
      {!cluster && !error && <p className="empty detail-pad">Reading the cluster…</p>}
      {cluster && (
        <div className="detail-body" data-testid="kafka-cluster-body">
          <p className="kafka-brokers" data-testid="kafka-brokers">
            {cluster.brokers.length} broker{cluster.brokers.length === 1 ? '' : 's'}:{' '}
            {cluster.brokers.map((b) => `${b.host}:${b.port} (#${b.nodeId})`).join(', ')}
            {lookedAt !== null && (
              <span className="dim">
                {' '}
                · read <Timestamp ms={lookedAt} />
              </span>
            )}
          </p>

          <h3>
            Topics <span className="dim">· click one for its partitions and recent messages</span>
          </h3>
          {cluster.topics.length === 0 ? (
            <p className="empty">The cluster has no topics.</p>
          ) : (
            <table className="kafka-table" data-testid="kafka-topics">
              <thead>
                <tr>
                  <th>Topic</th>
                  <th className="num">Partitions</th>
                  <th className="num">Messages</th>
                  <th className="num" title="messages produced per second since the previous look">
                    Rate
                  </th>
                </tr>
              </thead>
              <tbody>
                {cluster.topics.map((t) => (
                  <tr
                    key={t.name}
                    className={`kafka-row${t.name === topic ? ' selected' : ''}`}
                    onClick={() => setTopic(t.name === topic ? null : t.name)}
                    data-testid={`kafka-topic-${t.name}`}
                  >
                    <td>
                      <button
                        type="button"
                        className="link-button"
                        aria-pressed={t.name === topic}
                        onClick={(e) => {
                          e.stopPropagation();
                          setTopic(t.name === topic ? null : t.name);
                        }}
                      >
                        {t.name}
                      </button>
                    </td>
                    <td className="num">{t.partitions.length}</td>
                    <td className="num" data-testid={`kafka-topic-messages-${t.name}`}>
                      {formatCount(t.messages)}
                    </td>
                    <td
                      className="num"
                      data-testid={`kafka-topic-rate-${t.name}`}
                      data-value={t.rate ?? ''}
                      title={t.rate === null ? 'known from the second look on' : undefined}
                    >
                      {t.rate === null ? '—' : `${formatRate(t.rate)}/s`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          {shownTopic && (
            <>
              <h3>
                Partitions of <span className="mono">{shownTopic.name}</span>
              </h3>
              <table className="kafka-table" data-testid="kafka-partitions">
                <thead>
                  <tr>
                    <th className="num">Partition</th>
                    <th className="num">Leader</th>
                    <th className="num">Earliest</th>
                    <th className="num">Latest</th>
                    <th className="num">Messages</th>
                  </tr>
                </thead>
                <tbody>
                  {shownTopic.partitions.map((p) => (
                    <tr key={p.partition} data-testid={`kafka-partition-${shownTopic.name}-${p.partition}`}>
                      <td className="num">{p.partition}</td>
                      <td className="num">{p.leader}</td>
                      <td className="num">{p.earliest}</td>
                      <td className="num">{p.latest}</td>
                      <td className="num">{formatCount(p.messages)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}

          <h3>
            Consumer groups <span className="dim">· click one for its members and lag</span>
          </h3>
          {cluster.groups.length === 0 ? (
            <p className="empty">No consumer groups.</p>
          ) : (
            <table className="kafka-table" data-testid="kafka-groups">
              <thead>
                <tr>
                  <th>Group</th>
                  <th>State</th>
                  <th className="num">Members</th>
                  <th className="num" title="messages not yet consumed, over all its partitions">
                    Lag
                  </th>
                </tr>
              </thead>
              <tbody>
                {cluster.groups.map((g) => {
                  const open = openGroups.has(g.groupId);
                  return (
                    <Fragment key={g.groupId}>
                      <tr
                        className="kafka-row"
                        onClick={() => toggleGroup(g.groupId)}
                        data-testid={`kafka-group-${g.groupId}`}
                      >
                        <td>
                          <button
                            type="button"
                            className="link-button"
                            aria-expanded={open}
                            onClick={(e) => {
                              e.stopPropagation();
                              toggleGroup(g.groupId);
                            }}
                          >
                            {open ? '▾' : '▸'} {g.groupId}
                          </button>
                        </td>
                        <td>{g.state}</td>
                        <td className="num">{g.members.length}</td>
                        <td
                          className="num"
                          data-testid={`kafka-group-lag-${g.groupId}`}
                          data-value={groupLagTotal(g)}
                        >
                          {formatCount(groupLagTotal(g))}
                        </td>
                      </tr>
                      {open && (
                        <tr className="kafka-group-detail">
                          <td colSpan={4}>
                            <GroupDetail group={g} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          )}

          {shownTopic && <RecentMessages topic={shownTopic.name} messages={cluster.recent} />}
        </div>
      )}
    </aside>
  );
}

function GroupDetail({ group }: { group: KafkaClusterResult['groups'][number] }) {
  return (
    <div data-testid={`kafka-group-detail-${group.groupId}`}>
      {group.members.length === 0 ? (
        <p className="empty">No members at the moment.</p>
      ) : (
        <ul className="kafka-members">
          {group.members.map((m) => (
            <li key={m.memberId} title={m.memberId}>
              <span className="mono">{m.clientId}</span> <span className="dim">on {m.host}</span>
            </li>
          ))}
        </ul>
      )}
      {group.lag.length === 0 ? (
        <p className="empty">No committed offsets.</p>
      ) : (
        <table className="kafka-table">
          <thead>
            <tr>
              <th>Topic</th>
              <th className="num">Partition</th>
              <th className="num">Committed</th>
              <th className="num">Lag</th>
            </tr>
          </thead>
          <tbody>
            {sortedLag(group).map((l) => (
              <tr key={`${l.topic}:${l.partition}`}>
                <td className="mono">{l.topic}</td>
                <td className="num">{l.partition}</td>
                <td className="num">{l.committed}</td>
                <td
                  className={`num${l.lag > 0 ? ' kafka-behind' : ''}`}
                  data-testid={`kafka-lag-${group.groupId}-${l.topic}-${l.partition}`}
                  data-value={l.lag}
                >
                  {formatCount(l.lag)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function RecentMessages({ topic, messages }: { topic: string; messages: readonly KafkaRecentMessage[] }) {
  // Newest first: what a person looks for first.
  const shown = [...messages].reverse();
  return (
    <>
      <h3>
        Recent messages{' '}
        <span className="dim">· the last {RECENT_PER_PARTITION} per partition, read without a group</span>
      </h3>
      {shown.length === 0 ? (
        <p className="empty" data-testid="kafka-recent-empty">
          {topic} holds no messages.
        </p>
      ) : (
        <ul className="kafka-recent" data-testid="kafka-recent">
          {shown.map((m) => (
            <li key={`${m.partition}@${m.offset}`} data-testid="kafka-recent-message">
              <div className="kafka-recent-head">
                <span className="mono" title="partition @ offset">
                  {m.partition}@{m.offset}
                </span>
                <Timestamp ms={m.timestamp} precise />
                {m.key !== null && (
                  <span className="kafka-key" data-testid="kafka-recent-key">
                    key <span className="mono">{m.key}</span>
                  </span>
                )}
              </div>
              {Object.keys(m.headers).length > 0 && (
                <div className="kafka-headers" data-testid="kafka-recent-headers">
                  {Object.entries(m.headers).map(([name, value]) => (
                    <span key={name} className="badge badge-quiet">
                      {name}: {value ?? '(null)'}
                    </span>
                  ))}
                </div>
              )}
              <pre className="detail-payload kafka-value" data-testid="kafka-recent-value">
                {recentValuePreview(m)}
              </pre>
              <Decoded message={m} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Decoded({ message }: { message: KafkaRecentMessage }) {
  const decoded = decodedFields(message);
  return (
    <div className="kafka-decoded" data-testid="kafka-recent-decoded">
      {'error' in decoded ? (
        <span className="kafka-undecoded">not decoded: {decoded.error}</span>
      ) : decoded.fields.length === 0 ? (
        <span className="dim">no numbers in it</span>
      ) : (
        decoded.fields.map(([path, value]) => (
          <span key={path} className="mono">
            {path === '' ? '(value)' : path} = {formatValue(value)}
          </span>
        ))
      )}
    </div>
  );
}
