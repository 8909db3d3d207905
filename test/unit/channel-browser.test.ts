// The channel browser's model (electron/engine/channels/browser.ts): a tree of sources, topic or
// path levels and fields, or a search, a page at a time, over workspaces with 10,000 channels per source.
import { describe, expect, it } from 'vitest';
import { ChannelCatalog, type CatalogChannel } from '../../electron/engine/channels/browser';
import { LastValues } from '../../electron/engine/channels/last-values';

function channel(id: number, name: string, extra: Partial<CatalogChannel> = {}): CatalogChannel {
  return { id, name, source: name.split('/')[0]!, unit: '', displayName: '', decimals: null, ...extra };
}

/** 50 devices × 200 fields on `plant`, and a small `bench`. */
function plant(): CatalogChannel[] {
  const list: CatalogChannel[] = [];
  let id = 0;
  for (let d = 1; d <= 50; d++)
    for (let f = 0; f < 200; f++) list.push(channel(id++, `plant/site/dev${d}/f${f}`));
  list.push(channel(id++, 'bench/temp', { unit: '°C', displayName: 'Bench temperature' }));
  list.push(channel(id, 'bench/env/hum', { unit: '%RH' }));
  return list;
}
const none = () => null;

describe('channel catalog', () => {
  const catalog = new ChannelCatalog(plant());

  it('lists the sources with their channel counts', () => {
    const r = catalog.browse({ offset: 0, limit: 100 }, none);
    expect(r.nodes.map((n) => [n.kind, n.key, n.channels])).toEqual([
      ['source', 'bench', 2],
      ['source', 'plant', 10_000],
    ]);
    expect(r.totalChannels).toBe(10_002);
  });

  it('opens one level at a time: folders first (in natural order), then the fields there', () => {
    const top = catalog.browse({ source: 'bench', prefix: '', offset: 0, limit: 100 }, none);
    expect(top.nodes.map((n) => [n.kind, n.key, n.name])).toEqual([
      ['folder', 'bench/env', 'env'],
      ['channel', 'bench/temp', 'temp'],
    ]);
    expect(top.nodes[1]!.channel).toMatchObject({ unit: '°C', displayName: 'Bench temperature' });
    const devices = catalog.browse({ source: 'plant', prefix: 'site', offset: 0, limit: 5 }, none);
    expect(devices.total).toBe(50);
    // dev2 before dev10: numbers in names sort as numbers.
    expect(devices.nodes.map((n) => n.name)).toEqual(['dev1', 'dev2', 'dev3', 'dev4', 'dev5']);
    expect(devices.nodes[0]!.channels).toBe(200);
  });

  it('pages a level: no page holds more than asked, and the pages together hold every row once', () => {
    const seen = new Set<string>();
    let offset = 0;
    for (;;) {
      const r = catalog.browse({ source: 'plant', prefix: 'site/dev7', offset, limit: 64 }, none);
      expect(r.nodes.length).toBeLessThanOrEqual(64);
      for (const n of r.nodes) seen.add(n.key);
      offset += r.nodes.length;
      if (offset >= r.total) break;
    }
    expect(seen.size).toBe(200);
    expect(seen.has('plant/site/dev7/f199')).toBe(true);
  });

  it('finds a channel among 10,000 by words of its name or display name, any case', () => {
    const r = catalog.browse({ search: 'DEV42 f17', offset: 0, limit: 20 }, none);
    // f17, f170…f179 on dev42.
    expect(r.total).toBe(11);
    expect(r.nodes[0]!.key).toBe('plant/site/dev42/f17');
    expect(catalog.browse({ search: 'bench temperature', offset: 0, limit: 20 }, none).nodes[0]!.key).toBe(
      'bench/temp',
    );
    expect(catalog.browse({ search: 'hum', source: 'plant', offset: 0, limit: 20 }, none).total).toBe(0);
    expect(catalog.browse({ search: 'nothing-like-it', offset: 0, limit: 20 }, none).nodes).toEqual([]);
  });

  it('lists a source flat, paged', () => {
    const r = catalog.browse({ source: 'bench', flat: true, offset: 0, limit: 1 }, none);
    expect([r.total, r.nodes.map((n) => n.key)]).toEqual([2, ['bench/env/hum']]);
  });

  it('shows each channel’s newest value, kept from the bus', () => {
    const last = new LastValues();
    last.onSamples({
      n: 3,
      ts: Float64Array.from([1_000, 3_000, 2_000]),
      channel: Uint32Array.from([10_000, 10_000, 10_000]),
      value: Float64Array.from([21.5, 22.5, 99]),
    });
    const r = catalog.browse({ source: 'bench', prefix: '', offset: 0, limit: 10 }, (id) => last.get(id));
    // The late sample (ts 2,000 after 3,000) does not replace the newest.
    expect(r.nodes[1]!.channel).toMatchObject({ last: 22.5, lastTs: 3_000 });
    expect(last.get(70_000)).toBeNull();
  });
});
