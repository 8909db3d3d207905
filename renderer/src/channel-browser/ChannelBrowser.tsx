// The one way to choose a channel (a plot panel's picker, the rule editor, export): a searchable
// tree, source → topic or path levels → field, with units and last values. The engine answers a
// level or a search a page at a time; the page never holds the whole list.
import { useEffect, useState } from 'react';
import type { ChannelInfo, ChannelNode } from '../../../shared/api';
import type { RpcClient } from '../../../shared/rpc';
import { formatCount, formatValue } from '../format';
import { useChannelPage, type ChannelQuery } from './useChannelPage';
import './channel-browser.css';

const SEARCH_DELAY_MS = 200;

export interface ChannelBrowserProps {
  client: RpcClient | null;
  /** `check`: a checkbox per channel (several); `choose`: a click picks one. */
  mode: 'check' | 'choose';
  isSelected(name: string): boolean;
  onPick(channel: ChannelInfo): void;
  /** Prefix of the test ids: `${testId}-search`, `${testId}-${channel}`, `${testId}-open-${key}`. */
  testId: string;
  /** Only this source's channels. */
  source?: string;
  autoFocus?: boolean;
}

export function ChannelBrowser(props: ChannelBrowserProps) {
  const { client, testId, source, autoFocus } = props;
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  useEffect(() => {
    const timer = window.setTimeout(() => setSearch(typed.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [typed]);
  const root: ChannelQuery = search
    ? { search, flat: true, ...(source ? { source } : {}) }
    : source
      ? { source, prefix: '' }
      : {};
  return (
    <div className="channel-browser" data-testid={testId}>
      <input
        type="search"
        className="channel-search"
        placeholder="Search channels…"
        aria-label="Search channels by name"
        value={typed}
        autoFocus={autoFocus}
        onChange={(e) => setTyped(e.target.value)}
        data-testid={`${testId}-search`}
      />
      <ul className="channel-tree" role="tree" aria-label="Channels">
        <Level {...props} query={client ? root : null} depth={0} searching={search !== ''} />
      </ul>
    </div>
  );
}

function Level(
  props: ChannelBrowserProps & { query: ChannelQuery | null; depth: number; searching: boolean },
) {
  const page = useChannelPage(props.client, props.query);
  const shown = page.nodes.length;
  return (
    <>
      {page.error && <li className="panel-error">{page.error}</li>}
      {page.loading && <li className="empty">loading…</li>}
      {!page.loading && shown === 0 && !page.error && (
        <li className="empty" data-testid={`${props.testId}-none`}>
          {props.searching ? 'No channel matches.' : 'No channels yet: they appear with the first data.'}
        </li>
      )}
      {page.nodes.map((node) => (
        <Row {...props} key={node.key} node={node} />
      ))}
      {page.total > shown && (
        <li className="channel-more">
          {shown < 500 ? (
            <button type="button" onClick={page.more} data-testid={`${props.testId}-more`}>
              Show more ({formatCount(page.total - shown)} left)
            </button>
          ) : (
            <span>{formatCount(page.total - shown)} more: search to narrow the list</span>
          )}
        </li>
      )}
      {props.depth === 0 && props.searching && page.total > 0 && (
        <li className="channel-count" data-testid={`${props.testId}-count`} data-value={page.total}>
          {formatCount(page.total)} of {formatCount(page.totalChannels)} channels match
        </li>
      )}
    </>
  );
}

function Row(props: ChannelBrowserProps & { node: ChannelNode; depth: number; searching: boolean }) {
  const { node, depth, testId } = props;
  const [open, setOpen] = useState(false);
  const indent = { paddingLeft: `${6 + depth * 14}px` };
  if (node.kind !== 'channel' || !node.channel) {
    const [source, ...rest] = node.key.split('/');
    return (
      <li role="treeitem" aria-expanded={open} className="channel-folder">
        <button
          type="button"
          className="channel-folder-button"
          style={indent}
          onClick={() => setOpen((o) => !o)}
          data-testid={`${testId}-open-${node.key}`}
        >
          <span aria-hidden="true">{open ? '▾' : '▸'}</span> {node.name}
          <span className="channel-count-badge">{formatCount(node.channels)}</span>
        </button>
        {open && (
          <ul role="group">
            <Level
              {...props}
              query={{ source: source!, prefix: rest.join('/') }}
              depth={depth + 1}
              searching={false}
            />
          </ul>
        )}
      </li>
    );
  }
  const c = node.channel;
  const label = props.searching ? c.name : c.displayName || node.name;
  const value = c.last === null ? '' : c.decimals !== null ? c.last.toFixed(c.decimals) : formatValue(c.last);
  const selected = props.isSelected(c.name);
  const content = (
    <>
      <span className="channel-name">{label}</span>
      {c.displayName && !props.searching && <span className="channel-full">{c.name}</span>}
      <span className="channel-last">{value}</span>
      <span className="unit">{c.unit}</span>
    </>
  );
  return (
    <li role="treeitem" aria-selected={selected} className="channel-leaf" title={c.name}>
      {props.mode === 'check' ? (
        <label style={indent}>
          <input
            type="checkbox"
            checked={selected}
            onChange={() => props.onPick(c)}
            data-testid={`${testId}-${c.name}`}
          />
          {content}
        </label>
      ) : (
        <button
          type="button"
          style={indent}
          className={selected ? 'chosen' : undefined}
          onClick={() => props.onPick(c)}
          data-testid={`${testId}-${c.name}`}
        >
          {content}
        </button>
      )}
    </li>
  );
}
