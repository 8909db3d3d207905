// One list of the channel browser (a level of the tree, or search results), read a page at a time
// from the engine and re-read every few seconds while shown, so last values stay fresh.
import { useCallback, useEffect, useState } from 'react';
import type { BrowseChannelsResult, ChannelNode } from '../../../shared/api';
import type { RpcClient } from '../../../shared/rpc';

export const PAGE_SIZE = 100;
const REFRESH_MS = 3_000;

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
  useEffect(() => {
    if (!client || query === null) return;
    let cancelled = false;
    let timer: number | undefined;
    const read = () => {
      client
        .call('browseChannels', { ...query, offset: 0, limit: Math.min(500, pages * PAGE_SIZE) })
        .then((r) => {
          if (cancelled) return;
          setResult(r);
          setError(null);
        })
        .catch((e: Error) => !cancelled && setError(e.message))
        .finally(() => {
          if (!cancelled) timer = window.setTimeout(read, REFRESH_MS);
        });
    };
    read();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
    // key stands for query.
  }, [client, key, pages]);
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
