// One list of the channel browser (a level of the tree, or search results), a page at a time, as a
// subscription: the engine pushes it again when channels or their last values change.
import { useCallback, useEffect, useState } from 'react';
import type { BrowseChannelsResult, ChannelNode } from '../../../shared/api';
import type { RpcClient } from '../../../shared/rpc';
import { useSubscription } from '../useSubscription';

export const PAGE_SIZE = 100;

export interface ChannelQuery {
  source?: string;
  prefix?: string;
  search?: string;
  flat?: boolean;
}

export interface ChannelPage {
  nodes: ChannelNode[];
  total: number;
  totalChannels: number;
  loading: boolean;
  error: string | null;
  /** Reads the next page too. */
  more(): void;
}

export function useChannelPage(client: RpcClient | null, query: ChannelQuery | null): ChannelPage {
  const [pages, setPages] = useState(1);
  const [result, setResult] = useState<BrowseChannelsResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(query);
  useEffect(() => setPages(1), [key]);
  useSubscription(
    client,
    'browseChannels',
    query === null ? null : { ...query, offset: 0, limit: Math.min(500, pages * PAGE_SIZE) },
    (r) => {
      setResult(r);
      setError(null);
    },
    setError,
  );
  const more = useCallback(() => setPages((p) => Math.min(5, p + 1)), []);
  return {
    nodes: result?.nodes ?? [],
    total: result?.total ?? 0,
    totalChannels: result?.totalChannels ?? 0,
    loading: result === null && error === null,
    error,
    more,
  };
}
