// Where the channel browser gets its channels: the store's channel table (ids, sources) with the
// workspace's channel settings laid over it (unit, display name, decimals). The catalog is rebuilt
// only when a channel appears or the settings change, not on every question.
import type { BrowseChannelsResult, ChannelInfo } from '../../../shared/api';
import type { ChannelConfig } from '../../../shared/schemas';
import { ChannelCatalog, type BrowseQuery, type CatalogChannel } from './browser';
import { LastValues } from './last-values';

export interface ChannelRowsSource {
  knownChannels(): ReadonlyMap<string, number>;
  channelRows(): Promise<{ id: number; name: string; source: string; unit: string }[]>;
  flush(): Promise<void>;
}

export class ChannelDirectory {
  readonly lastValues = new LastValues();
  private catalog: ChannelCatalog | null = null;
  private builtFor = -1;
  private settingsKey = '';
  private building: Promise<ChannelCatalog> | null = null;

  constructor(
    private readonly store: ChannelRowsSource,
    private readonly settings: () => readonly ChannelConfig[],
  ) {}

  async browse(q: BrowseQuery): Promise<BrowseChannelsResult> {
    const catalog = await this.current();
    return catalog.browse(q, (id) => this.lastValues.get(id));
  }

  async byName(names: readonly string[]): Promise<ChannelInfo[]> {
    const catalog = await this.current();
    const found: ChannelInfo[] = [];
    for (const name of new Set(names)) {
      const c = catalog.get(name);
      if (c) found.push(info(c));
    }
    return found;
  }

  /** Every channel, by name. */
  async all(): Promise<ChannelInfo[]> {
    return (await this.current()).list().map(info);
  }

  private async current(): Promise<ChannelCatalog> {
    const count = this.store.knownChannels().size;
    const key = JSON.stringify(this.settings());
    if (this.catalog && this.builtFor === count && this.settingsKey === key) return this.catalog;
    // Questions arriving together share one rebuild.
    this.building ??= (async () => {
      try {
        await this.store.flush();
        const rows = await this.store.channelRows();
        const configured = new Map(this.settings().map((c) => [c.name, c]));
        const catalog = new ChannelCatalog(
          rows.map((r): CatalogChannel => {
            const c = configured.get(r.name);
            return {
              ...r,
              unit: c?.unit || r.unit,
              displayName: c?.displayName ?? '',
              decimals: c?.decimals ?? null,
            };
          }),
        );
        this.catalog = catalog;
        this.builtFor = count;
        this.settingsKey = key;
        return catalog;
      } finally {
        this.building = null;
      }
    })();
    return this.building;
  }
}

function info(c: CatalogChannel): ChannelInfo {
  return {
    id: c.id,
    name: c.name,
    source: c.source,
    unit: c.unit,
    displayName: c.displayName,
    decimals: c.decimals,
  };
}
