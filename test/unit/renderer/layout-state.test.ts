// The console's plot layouts as a pure reducer (renderer/src/layout/layout-state.ts), and the y-axes
// a plot draws per unit (renderer/src/panels/plot/axes.ts).
import { describe, expect, it } from 'vitest';
import { axesFor } from '../../../renderer/src/panels/plot/axes';
import {
  activeLayout,
  LayoutError,
  layoutsFromWorkspace,
  layoutsReducer,
  MAX_PLOTTED,
  plottedChannels,
  type LayoutAction,
  type LayoutsState,
} from '../../../renderer/src/layout/layout-state';
import { Layouts, PANEL_MAX_HEIGHT, PANEL_MIN_HEIGHT, WorkspaceConfig } from '../../../shared/schemas';
import { defaultWorkspace } from '../../../electron/engine/workspace';

const apply = (state: LayoutsState, ...actions: LayoutAction[]) => actions.reduce(layoutsReducer, state);
const empty = () => layoutsFromWorkspace({ layouts: [], activeLayout: undefined });

describe('layout state', () => {
  it('gives a workspace without layouts one to show, and shows the named one when it exists', () => {
    expect(empty()).toEqual({ layouts: [{ name: 'Main', panels: [] }], active: 'Main' });
    const ws = defaultWorkspace();
    expect(layoutsFromWorkspace(ws).active).toBe(ws.layouts[0]!.name);
    const two = { layouts: [...ws.layouts, { name: 'Night', panels: [] }], activeLayout: 'Night' };
    expect(layoutsFromWorkspace(two).active).toBe('Night');
    expect(layoutsFromWorkspace({ ...two, activeLayout: 'gone' }).active).toBe(ws.layouts[0]!.name);
  });

  it('the demo’s default layout plots every channel of the rig, the door sensor included', () => {
    const layout = layoutsFromWorkspace(defaultWorkspace());
    expect([...plottedChannels(layout)].sort()).toEqual([
      'demo/door',
      'demo/humidity',
      'demo/temperature',
      'demo/vibration',
    ]);
  });

  it('adds, renames, reorders, resizes and removes panels', () => {
    let s = apply(empty(), { type: 'addPanel' }, { type: 'addPanel', title: 'Pressures' });
    expect(activeLayout(s).panels.map((p) => [p.id, p.title])).toEqual([
      ['panel-1', 'Panel 1'],
      ['panel-2', 'Pressures'],
    ]);
    s = apply(s, { type: 'renamePanel', panel: 'panel-1', title: '  Climate  ' });
    s = apply(s, { type: 'movePanel', panel: 'panel-2', by: -1 });
    expect(activeLayout(s).panels.map((p) => p.title)).toEqual(['Pressures', 'Climate']);
    // Moving past either end stays at the end.
    expect(apply(s, { type: 'movePanel', panel: 'panel-2', by: -5 })).toBe(s);
    s = apply(s, { type: 'resizePanel', panel: 'panel-1', height: 431.6 });
    expect(activeLayout(s).panels.find((p) => p.id === 'panel-1')!.height).toBe(432);
    expect(
      activeLayout(apply(s, { type: 'resizePanel', panel: 'panel-1', height: 5 })).panels[1]!.height,
    ).toBe(PANEL_MIN_HEIGHT);
    expect(
      activeLayout(apply(s, { type: 'resizePanel', panel: 'panel-1', height: 1e9 })).panels[1]!.height,
    ).toBe(PANEL_MAX_HEIGHT);
    s = apply(s, { type: 'removePanel', panel: 'panel-2' });
    // A new panel takes the first free id.
    s = apply(s, { type: 'addPanel' });
    expect(activeLayout(s).panels.map((p) => p.id)).toEqual(['panel-1', 'panel-2']);
    // What it makes is what the workspace accepts.
    expect(Layouts.safeParse(s.layouts).success).toBe(true);
  });

  it('plots channels into the panel chosen, or a new one, once each', () => {
    let s = apply(empty(), { type: 'addPanel', title: 'A' });
    s = apply(s, { type: 'plot', panel: 'panel-1', channels: ['m/x', 'm/y'] });
    s = apply(s, { type: 'plot', panel: 'panel-1', channels: ['m/y', 'm/z'] });
    expect(activeLayout(s).panels[0]!.channels).toEqual(['m/x', 'm/y', 'm/z']);
    s = apply(s, { type: 'plot', panel: null, channels: ['m/w'], title: 'Wind' });
    expect(activeLayout(s).panels[1]).toMatchObject({ id: 'panel-2', title: 'Wind', channels: ['m/w'] });
  });

  it('refuses more than the live plots can carry, leaving the state as it was', () => {
    const names = Array.from({ length: MAX_PLOTTED }, (_, i) => `s/c${i}`);
    const s = apply(empty(), { type: 'addPanel', channels: names });
    expect(() => layoutsReducer(s, { type: 'plot', panel: null, channels: ['s/one-more'] })).toThrow(
      new LayoutError(`live plots show at most ${MAX_PLOTTED} channels in one layout`),
    );
    // The same channels again are no more.
    expect(() => layoutsReducer(s, { type: 'plot', panel: null, channels: ['s/c1'] })).not.toThrow();
  });

  it('keeps several named layouts: add, rename, switch, remove (never the last)', () => {
    let s = apply(empty(), { type: 'addPanel' }, { type: 'addLayout', name: 'Night shift' });
    expect(s.active).toBe('Night shift');
    expect(activeLayout(s).panels).toEqual([]);
    s = apply(s, { type: 'addPanel', title: 'Only at night' }, { type: 'switchLayout', name: 'Main' });
    expect(activeLayout(s).panels.map((p) => p.title)).toEqual(['Panel 1']);
    expect(() => layoutsReducer(s, { type: 'addLayout', name: 'Main' })).toThrow(
      /already a layout named "Main"/,
    );
    expect(() => layoutsReducer(s, { type: 'renameLayout', name: 'Main', to: ' ' })).toThrow(/enter a name/);
    s = apply(s, { type: 'renameLayout', name: 'Main', to: 'Day' });
    expect(s.active).toBe('Day');
    s = apply(s, { type: 'removeLayout', name: 'Day' });
    expect(s).toMatchObject({ active: 'Night shift' });
    expect(() => layoutsReducer(s, { type: 'removeLayout', name: 'Night shift' })).toThrow(/last layout/);
    const ws = WorkspaceConfig.parse({ version: 1, layouts: s.layouts, activeLayout: s.active });
    expect(layoutsFromWorkspace(ws)).toEqual(s);
  });

  it('the workspace refuses duplicate layout names and panel ids, naming where', () => {
    const panel = { kind: 'plot', id: 'p' };
    const bad = WorkspaceConfig.safeParse({
      version: 1,
      layouts: [
        { name: 'A', panels: [panel, panel] },
        { name: 'A', panels: [] },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('layouts.0.panels.1.id');
    expect(paths).toContain('layouts.1.name');
  });
});

describe('plot axes', () => {
  it('gives each unit one labelled axis, and each channel without a unit its own', () => {
    const axes = axesFor([
      { id: 1, label: 'bench/env/temp', unit: '°C' },
      { id: 2, label: 'bench/env/hum', unit: '%RH' },
      { id: 3, label: 'bench/env/temp2', unit: '°C' },
      { id: 4, label: 'bench/a', unit: '' },
      { id: 5, label: 'bench/b', unit: '' },
    ]);
    expect(axes.map((a) => [a.label, a.channels])).toEqual([
      ['°C', [1, 3]],
      ['%RH', [2]],
      ['bench/a (no unit)', [4]],
      ['bench/b (no unit)', [5]],
    ]);
    expect(new Set(axes.map((a) => a.scale)).size).toBe(axes.length);
    expect(axes.every((a) => a.label !== '')).toBe(true);
  });
});
