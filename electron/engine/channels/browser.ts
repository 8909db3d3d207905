// The channel browser's model: every channel the workspace has seen, as a tree (source → topic or
// path levels → field) or found by search, answered a page at a time so a console never receives
// the whole list (a workspace can hold 10,000 channels per source). Pure: it is given the channels
// and answers questions; channels/directory.ts feeds it from the store and the configuration.
import type { BrowseChannelsResult, ChannelNode } from '../../../shared/api';

export interface CatalogChannel {
  id: number;
  /** Full name, `source/path/…/field`. */
  name: string;
  source: string;
  unit: string;
  displayName: string;
  decimals: number | null;
}

export interface BrowseQuery {
  /** Children of this source's level `prefix`; absent: the sources. */
  source?: string | undefined;
  /** Path under the source, without the source ('' for its top level). */
  prefix?: string | undefined;
  /** Words that must all appear in a channel's name or display name (any case); a flat list. */
  search?: string | undefined;
  /** Every channel (of `source` when given) as one flat list, searched or not. */
  flat?: boolean | undefined;
  offset: number;
  limit: number;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export class ChannelCatalog {
  private readonly bySource = new Map<string, CatalogChannel[]>();
  private readonly byName = new Map<string, CatalogChannel>();

  constructor(channels: Iterable<CatalogChannel>) {
    for (const c of channels) {
      let list = this.bySource.get(c.source);
      if (!list) this.bySource.set(c.source, (list = []));
      list.push(c);
      this.byName.set(c.name, c);
    }
    for (const list of this.bySource.values()) list.sort((a, b) => collator.compare(a.name, b.name));
  }

  get size(): number {
    return this.byName.size;
  }

  /** Every channel, by name. */
  list(): CatalogChannel[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): CatalogChannel | undefined {
    return this.byName.get(name);
  }

  browse(q: BrowseQuery, last: (id: number) => { ts: number; value: number } | null): BrowseChannelsResult {
    const leaf = (c: CatalogChannel): ChannelNode => {
      const l = last(c.id);
      return {
        kind: 'channel',
        key: c.name,
        name: c.name.slice(c.name.lastIndexOf('/') + 1),
        channels: 1,
        channel: {
          id: c.id,
          name: c.name,
          source: c.source,
          unit: c.unit,
          displayName: c.displayName,
          decimals: c.decimals,
          last: l?.value ?? null,
          lastTs: l?.ts ?? null,
        },
      };
    };
    const page = (nodes: ChannelNode[]): BrowseChannelsResult => ({
      nodes: nodes.slice(q.offset, q.offset + q.limit),
      total: nodes.length,
      offset: q.offset,
      totalChannels: this.size,
    });

    const words = (q.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length > 0 || q.flat) {
      const lists =
        q.source !== undefined ? [this.bySource.get(q.source) ?? []] : [...this.bySource.values()];
      const found: CatalogChannel[] = [];
      for (const list of lists)
        for (const c of list) {
          const text = `${c.name}\u0000${c.displayName}`.toLowerCase();
          if (words.every((w) => text.includes(w))) found.push(c);
        }
      found.sort((a, b) => collator.compare(a.name, b.name));
      // Only the page is turned into nodes (and looks up last values).
      const total = found.length;
      return { ...page([]), total, nodes: found.slice(q.offset, q.offset + q.limit).map(leaf) };
    }

    if (q.source === undefined) {
      const sources = [...this.bySource.keys()].sort(collator.compare);
      return page(
        sources.map((s) => ({ kind: 'source', key: s, name: s, channels: this.bySource.get(s)!.length })),
      );
    }

    const list = this.bySource.get(q.source) ?? [];
    const prefix = q.prefix ? `${q.source}/${q.prefix.replace(/\/+$/, '')}/` : `${q.source}/`;
    const folders = new Map<string, number>();
    const leaves: CatalogChannel[] = [];
    for (const c of list) {
      if (!c.name.startsWith(prefix)) continue;
      const rest = c.name.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) leaves.push(c);
      else {
        const folder = rest.slice(0, slash);
        folders.set(folder, (folders.get(folder) ?? 0) + 1);
      }
    }
    const folderNodes: ChannelNode[] = [...folders.entries()]
      .sort(([a], [b]) => collator.compare(a, b))
      .map(([name, channels]) => ({ kind: 'folder', key: `${prefix}${name}`, name, channels }));
    // Folders first, then the channels at this level; only the page's channels are made into nodes.
    const total = folderNodes.length + leaves.length;
    const start = q.offset;
    const end = q.offset + q.limit;
    const nodes = [
      ...folderNodes.slice(start, end),
      ...leaves
        .slice(Math.max(0, start - folderNodes.length), Math.max(0, end - folderNodes.length))
        .map(leaf),
    ];
    return { nodes, total, offset: q.offset, totalChannels: this.size };
  }
}
