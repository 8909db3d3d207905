// The topic tree of one MQTT source, as MQTT Explorer shows it. The engine keeps the tree; this
// subscribes only to the levels that are expanded and visible (or to a search), which the engine
// pushes about once a second while they change, and renders a bounded number of rows, so 10,000
// topics at 20,000 msg/s cost the console no more than a few hundred rows refreshed once a second.
// Nothing here runs per message.
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import {
  RATE_WINDOW_SECONDS,
  type TopicNode,
  type TopicsResult,
  type SubscriptionParams,
} from '../../../../shared/api';
import { useSubscriptions } from '../../useSubscription';
import type { RpcClient } from '../../../../shared/rpc';
import { formatAge, formatCount, formatRate } from '../../format';
import { SparkplugNodes } from './SparkplugNodes';

/** The key of the search's subscription (a level's key is its prefix, never this). */
const SEARCH_KEY = '\u0000search';
/** Children asked for per level, and how many more each "more…" adds. */
const LEVEL_LIMIT = 200;
const LEVEL_STEP = 500;
const LEVEL_MAX = 5_000;
/** Rows rendered at most, whatever is expanded. */
const MAX_ROWS = 400;
const SEARCH_LIMIT = 300;
const SEARCH_DELAY_MS = 250;

type TopicsRequest = SubscriptionParams<'topics'>;

interface Level {
  nodes: TopicNode[];
  truncated: boolean;
}

type Row =
  | { kind: 'node'; node: TopicNode; depth: number; label: string }
  | { kind: 'more'; prefix: string; depth: number; remaining: number | null };

interface TopicTreeProps {
  sourceId: string;
  client: RpcClient | null;
  /** Why the source does not run (and so has no tree to show), or null when it runs. */
  notRunning: string | null;
  selectedTopic: string | null;
  onSelect(sourceId: string, topic: string): void;
}

/**
 * The level under the empty first level of "/a/b" has the topic '', which `topics` reads as the top
 * level: it cannot be listed by prefix (the filter still finds its topics), so it is not opened.
 */
function canOpen(topic: string): boolean {
  return topic !== '';
}

/** Ancestors of a topic, nearest last: "a/b/c" → ["a", "a/b"]. */
function ancestors(topic: string): string[] {
  const levels = topic.split('/');
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join('/'));
  return out;
}

export const TopicTree = memo(function TopicTree({
  sourceId,
  client,
  notRunning,
  selectedTopic,
  onSelect,
}: TopicTreeProps) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [levels, setLevels] = useState<ReadonlyMap<string, Level>>(() => new Map());
  const [limits, setLimits] = useState<ReadonlyMap<string, number>>(() => new Map());
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [searchResult, setSearchResult] = useState<TopicsResult | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [focused, setFocused] = useState<string | null>(null);
  const running = notRunning === null;
  const treeRef = useRef<HTMLDivElement>(null);

  const want = useRef({ expanded, limits });
  useEffect(() => {
    want.current = { expanded, limits };
  }, [expanded, limits]);

  useEffect(() => {
    const timer = window.setTimeout(() => setSearch(searchText.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [searchText]);

  // What the tree shows, as subscriptions: the levels the user can see (expanded, with every
  // ancestor expanded too), or the search. The engine pushes each when its counts change.
  const specs = useMemo(() => {
    const out = new Map<string, TopicsRequest>();
    if (!running) return out;
    if (search !== '') {
      out.set(SEARCH_KEY, { source: sourceId, search, limit: SEARCH_LIMIT });
      return out;
    }
    const visible = [...expanded].filter((p) => ancestors(p).every((a) => expanded.has(a)));
    for (const prefix of ['', ...visible])
      out.set(prefix, { source: sourceId, prefix, limit: limits.get(prefix) ?? LEVEL_LIMIT });
    return out;
  }, [running, search, sourceId, expanded, limits]);

  useSubscriptions(
    client,
    'topics',
    specs,
    (key, r) => {
      if (key === SEARCH_KEY) setSearchResult(r);
      else setLevels((m) => new Map(m).set(key, { nodes: r.nodes, truncated: r.truncated }));
      if (key === SEARCH_KEY || key === '') setTotal(r.totalTopics);
      setError(null);
    },
    (_key, message) => setError(message),
  );

  const toggle = useCallback((topic: string) => {
    if (!canOpen(topic)) return;
    const opening = !want.current.expanded.has(topic);
    setExpanded((set) => {
      const next = new Set(set);
      if (opening) next.add(topic);
      else next.delete(topic);
      return next;
    });
  }, []);

  const showMore = useCallback((prefix: string) => {
    const next = Math.min(LEVEL_MAX, (want.current.limits.get(prefix) ?? LEVEL_LIMIT) + LEVEL_STEP);
    setLimits((m) => new Map(m).set(prefix, next));
  }, []);

  const { rows, hidden } = useMemo(() => {
    const out: Row[] = [];
    let hiddenRows = 0;
    if (search !== '') {
      for (const node of searchResult?.nodes ?? []) {
        if (out.length >= MAX_ROWS) hiddenRows++;
        else out.push({ kind: 'node', node, depth: 0, label: node.topic });
      }
      if (searchResult?.truncated) out.push({ kind: 'more', prefix: '', depth: 0, remaining: null });
      return { rows: out, hidden: hiddenRows };
    }
    const walk = (prefix: string, depth: number, childCount: number | null) => {
      const level = levels.get(prefix);
      if (!level) return;
      for (const node of level.nodes) {
        if (out.length >= MAX_ROWS) {
          hiddenRows++;
          continue;
        }
        out.push({ kind: 'node', node, depth, label: node.name });
        if (node.children > 0 && canOpen(node.topic) && expanded.has(node.topic))
          walk(node.topic, depth + 1, node.children);
      }
      if (level.truncated && out.length < MAX_ROWS)
        out.push({
          kind: 'more',
          prefix,
          depth,
          remaining: childCount === null ? null : Math.max(0, childCount - level.nodes.length),
        });
    };
    walk('', 0, null);
    return { rows: out, hidden: hiddenRows };
  }, [levels, expanded, search, searchResult]);

  // Keyboard: ↑/↓ move, → opens or goes to the first child, ← closes or goes to the parent,
  // Enter/Space selects (or opens a level with no message of its own).
  const focusRow = (topic: string) => {
    setFocused(topic);
    treeRef.current?.querySelector<HTMLElement>(`[data-topic="${CSS.escape(topic)}"]`)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const nodeRows = rows.filter((r): r is Extract<Row, { kind: 'node' }> => r.kind === 'node');
    const current = (e.target as HTMLElement).dataset.topic;
    const i = nodeRows.findIndex((r) => r.node.topic === current);
    if (i < 0) return;
    const row = nodeRows[i]!;
    const open = expanded.has(row.node.topic);
    switch (e.key) {
      case 'ArrowDown':
        if (nodeRows[i + 1]) focusRow(nodeRows[i + 1]!.node.topic);
        break;
      case 'ArrowUp':
        if (nodeRows[i - 1]) focusRow(nodeRows[i - 1]!.node.topic);
        break;
      case 'Home':
        if (nodeRows[0]) focusRow(nodeRows[0].node.topic);
        break;
      case 'End':
        if (nodeRows.length) focusRow(nodeRows[nodeRows.length - 1]!.node.topic);
        break;
      case 'ArrowRight':
        if (row.node.children > 0 && !open && search === '' && canOpen(row.node.topic))
          toggle(row.node.topic);
        else if (open && nodeRows[i + 1]?.depth === row.depth + 1) focusRow(nodeRows[i + 1]!.node.topic);
        break;
      case 'ArrowLeft': {
        if (open && search === '') toggle(row.node.topic);
        else {
          const parent = ancestors(row.node.topic).pop();
          if (parent !== undefined && nodeRows.some((r) => r.node.topic === parent)) focusRow(parent);
        }
        break;
      }
      case 'Enter':
      case ' ':
        if (row.node.hasMessage) onSelect(sourceId, row.node.topic);
        else if (row.node.children > 0 && search === '' && canOpen(row.node.topic)) toggle(row.node.topic);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const now = Date.now();
  const tabStop =
    focused !== null && rows.some((r) => r.kind === 'node' && r.node.topic === focused)
      ? focused
      : rows[0]?.kind === 'node'
        ? rows[0].node.topic
        : null;

  return (
    <div className="topic-tree" data-testid={`topics-${sourceId}`}>
      <div className="topic-tools">
        <input
          type="search"
          className="topic-search"
          placeholder="Filter topics…"
          aria-label="Filter topics (matches anywhere in the topic)"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && searchText !== '') {
              e.preventDefault();
              setSearchText('');
            } else if (e.key === 'ArrowDown' && tabStop !== null) {
              e.preventDefault();
              focusRow(tabStop);
            }
          }}
          spellCheck={false}
          data-testid={`topic-search-${sourceId}`}
        />
        <span className="topic-total" title="topics seen by this source">
          {total === null ? '' : `${formatCount(total)} topics`}
        </span>
      </div>
      {running && <SparkplugNodes sourceId={sourceId} client={client} />}
      {!running ? (
        <p className="empty" data-testid={`topics-not-running-${sourceId}`}>
          {notRunning}
        </p>
      ) : error ? (
        <p className="topic-error" role="status">
          {error}
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">
          {search !== ''
            ? searchResult
              ? `No topic contains “${search}”.`
              : 'Searching…'
            : total === null
              ? 'Loading topics…'
              : 'No messages yet.'}
        </p>
      ) : null}
      {rows.length > 0 && (
        <div
          className="topic-rows"
          role="tree"
          aria-label={`Topics of ${sourceId}`}
          ref={treeRef}
          onKeyDown={onKeyDown}
        >
          {rows.map((row) =>
            row.kind === 'node' ? (
              <TopicRow
                key={row.node.topic}
                node={row.node}
                label={row.label}
                depth={row.depth}
                expanded={search === '' && expanded.has(row.node.topic)}
                expandable={search === '' && row.node.children > 0 && canOpen(row.node.topic)}
                selected={row.node.topic === selectedTopic}
                tabbable={row.node.topic === tabStop}
                now={now}
                onToggle={toggle}
                onSelect={(topic) => onSelect(sourceId, topic)}
                onFocus={setFocused}
              />
            ) : (
              <div
                key={`more:${row.prefix}`}
                className="topic-more"
                style={{ paddingLeft: 6 + row.depth * 12 }}
                role="none"
              >
                {search !== '' ? (
                  <span>More matches not shown: refine the filter.</span>
                ) : (limits.get(row.prefix) ?? LEVEL_LIMIT) >= LEVEL_MAX ? (
                  <span>
                    {row.remaining !== null ? `${formatCount(row.remaining)} more` : 'More'} not shown: use
                    the filter.
                  </span>
                ) : (
                  <button type="button" className="link-button" onClick={() => showMore(row.prefix)}>
                    {row.remaining !== null ? `${formatCount(row.remaining)} more…` : 'more…'}
                  </button>
                )}
              </div>
            ),
          )}
          {hidden > 0 && (
            <div className="topic-more" role="none">
              {formatCount(hidden)} more rows not shown: collapse some levels or use the filter.
            </div>
          )}
        </div>
      )}
    </div>
  );
});

const TopicRow = memo(function TopicRow({
  node,
  label,
  depth,
  expanded,
  expandable,
  selected,
  tabbable,
  now,
  onToggle,
  onSelect,
  onFocus,
}: {
  node: TopicNode;
  label: string;
  depth: number;
  expanded: boolean;
  expandable: boolean;
  selected: boolean;
  tabbable: boolean;
  now: number;
  onToggle(topic: string): void;
  onSelect(topic: string): void;
  onFocus(topic: string): void;
}) {
  // Like MQTT Explorer: a click selects a topic with a message and opens a closed level; the
  // twisty alone closes a level that also has a message of its own.
  const activate = () => {
    if (node.hasMessage) onSelect(node.topic);
    if (expandable && (!node.hasMessage || !expanded)) onToggle(node.topic);
  };
  const age = node.lastSeen === null ? null : formatAge(now - node.lastSeen);
  return (
    <div
      className={`topic-row${selected ? ' selected' : ''}`}
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={expandable ? expanded : undefined}
      aria-selected={selected}
      tabIndex={tabbable ? 0 : -1}
      data-testid={`topic-${node.topic}`}
      data-topic={node.topic}
      style={{ paddingLeft: 2 + depth * 12 }}
      onClick={activate}
      onFocus={() => onFocus(node.topic)}
      title={node.topic}
    >
      <span
        className="twisty"
        aria-hidden="true"
        onClick={(e) => {
          if (!expandable) return;
          e.stopPropagation();
          onToggle(node.topic);
        }}
      >
        {expandable ? (expanded ? '▾' : '▸') : ''}
      </span>
      <span className="topic-name">{label === '' ? '(empty)' : label}</span>
      {node.retained && (
        <span className="topic-retained" title="the last message was retained">
          R
        </span>
      )}
      {node.hasMessage && node.preview !== null ? (
        <span className="topic-preview">{node.preview}</span>
      ) : node.hasMessage ? (
        <span className="topic-preview binary">binary</span>
      ) : (
        <span className="topic-preview children">{formatCount(node.children)} ▸</span>
      )}
      <span className="topic-metrics">
        <span
          className="topic-rate"
          title={`messages received per second, this topic and below, average of the last ${RATE_WINDOW_SECONDS} s`}
          data-testid={`topic-rate-${node.topic}`}
          data-value={node.rate}
        >
          {node.rate > 0 ? `${formatRate(node.rate)} msg/s` : ''}
        </span>
        <span
          className="topic-count"
          title="messages, this topic and below"
          data-testid={`topic-count-${node.topic}`}
          data-value={node.messages}
        >
          {formatCount(node.messages)}
        </span>
        <span className="topic-age" title={age === null ? undefined : 'since the last message'}>
          {age ?? ''}
        </span>
      </span>
    </div>
  );
});
