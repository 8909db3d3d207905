// The plot layouts as the console edits them: a pure reducer over the workspace's named layouts and
// the one shown, so every change (add, rename, remove, reorder, resize a panel; plot a channel; add,
// rename, switch a layout) is one tested function. The result is what `saveLayouts` stores.
import {
  PANEL_DEFAULT_HEIGHT,
  PANEL_MAX_HEIGHT,
  PANEL_MIN_HEIGHT,
  type Layout,
  type PlotPanel,
  type WorkspaceConfig,
} from '../../../shared/schemas';

export interface LayoutsState {
  layouts: Layout[];
  /** Name of the layout shown; always one of `layouts`. */
  active: string;
}

/** The live subscription carries at most this many channels, all panels together. */
export const MAX_PLOTTED = 64;
export const DEFAULT_LAYOUT_NAME = 'Main';
const DEFAULT_WINDOW_MS = 60_000;

/** A panel breaks a channel's line after this many times its usual spacing (schema default). */
export const DEFAULT_GAP_FACTOR = 5;

export type LayoutAction =
  | { type: 'addPanel'; title?: string; channels?: readonly string[] }
  | { type: 'renamePanel'; panel: string; title: string }
  | { type: 'removePanel'; panel: string }
  | { type: 'movePanel'; panel: string; by: number }
  | { type: 'resizePanel'; panel: string; height: number }
  | { type: 'setWindow'; panel: string; windowMs: number }
  | { type: 'setGapFactor'; panel: string; gapFactor: number }
  | { type: 'setChannels'; panel: string; channels: readonly string[] }
  /** Plots channels into a panel, or into a new one (`panel: null`) titled `title`. */
  | { type: 'plot'; panel: string | null; channels: readonly string[]; title?: string }
  | { type: 'addLayout'; name: string }
  | { type: 'renameLayout'; name: string; to: string }
  | { type: 'removeLayout'; name: string }
  | { type: 'switchLayout'; name: string };

/** What the workspace holds, made whole: there is always a layout to show. */
export function layoutsFromWorkspace(ws: Pick<WorkspaceConfig, 'layouts' | 'activeLayout'>): LayoutsState {
  const layouts = ws.layouts.length > 0 ? ws.layouts : [{ name: DEFAULT_LAYOUT_NAME, panels: [] }];
  const active = layouts.some((l) => l.name === ws.activeLayout) ? ws.activeLayout! : layouts[0]!.name;
  return { layouts, active };
}

export function activeLayout(state: LayoutsState): Layout {
  return state.layouts.find((l) => l.name === state.active) ?? state.layouts[0]!;
}

/** Channels shown by every panel of the active layout. */
export function plottedChannels(state: LayoutsState): Set<string> {
  return new Set(activeLayout(state).panels.flatMap((p) => p.channels));
}

/** `panel-1`, `panel-2`, …: the first not taken in the layout. */
export function newPanelId(layout: Layout): string {
  const taken = new Set(layout.panels.map((p) => p.id));
  let n = layout.panels.length + 1;
  for (let i = 1; i <= n; i++)
    if (!taken.has(`panel-${i}`)) {
      n = i;
      break;
    }
  return `panel-${n}`;
}

/** `Layout 2`, `Layout 3`, …: the first name not taken. */
export function newLayoutName(state: LayoutsState): string {
  const taken = new Set(state.layouts.map((l) => l.name));
  for (let i = state.layouts.length + 1; ; i++) if (!taken.has(`Layout ${i}`)) return `Layout ${i}`;
}

export class LayoutError extends Error {}

function clampHeight(height: number): number {
  return Math.round(Math.min(PANEL_MAX_HEIGHT, Math.max(PANEL_MIN_HEIGHT, height)));
}

/**
 * Applies one change. Throws a LayoutError, in words for the user, when it cannot be made (the
 * channel limit, a name taken); the state is then unchanged.
 */
export function layoutsReducer(state: LayoutsState, action: LayoutAction): LayoutsState {
  const layout = activeLayout(state);
  const withPanels = (panels: PlotPanel[]): LayoutsState => ({
    ...state,
    layouts: state.layouts.map((l) => (l.name === layout.name ? { ...l, panels } : l)),
  });
  const updatePanel = (id: string, change: (p: PlotPanel) => PlotPanel): LayoutsState => {
    if (!layout.panels.some((p) => p.id === id)) throw new LayoutError(`no panel "${id}" in this layout`);
    return withPanels(layout.panels.map((p) => (p.id === id ? change(p) : p)));
  };
  const checkRoom = (adding: readonly string[], without?: PlotPanel) => {
    const shown = new Set(layout.panels.filter((p) => p !== without).flatMap((p) => p.channels));
    for (const c of adding) shown.add(c);
    if (shown.size > MAX_PLOTTED)
      throw new LayoutError(`live plots show at most ${MAX_PLOTTED} channels in one layout`);
  };
  const fresh = (title: string, channels: readonly string[]): PlotPanel => ({
    kind: 'plot',
    id: newPanelId(layout),
    title,
    channels: [...new Set(channels)],
    windowMs: DEFAULT_WINDOW_MS,
    gapFactor: DEFAULT_GAP_FACTOR,
    height: PANEL_DEFAULT_HEIGHT,
  });

  switch (action.type) {
    case 'addPanel': {
      checkRoom(action.channels ?? []);
      const panel = fresh('', action.channels ?? []);
      panel.title = action.title?.trim() || `Panel ${panel.id.slice('panel-'.length)}`;
      return withPanels([...layout.panels, panel]);
    }
    case 'renamePanel':
      return updatePanel(action.panel, (p) => ({ ...p, title: action.title.trim().slice(0, 120) }));
    case 'removePanel':
      return withPanels(layout.panels.filter((p) => p.id !== action.panel));
    case 'movePanel': {
      const from = layout.panels.findIndex((p) => p.id === action.panel);
      if (from < 0) throw new LayoutError(`no panel "${action.panel}" in this layout`);
      const to = Math.min(layout.panels.length - 1, Math.max(0, from + action.by));
      if (to === from) return state;
      const panels = [...layout.panels];
      const [moved] = panels.splice(from, 1);
      panels.splice(to, 0, moved!);
      return withPanels(panels);
    }
    case 'resizePanel':
      return updatePanel(action.panel, (p) => ({ ...p, height: clampHeight(action.height) }));
    case 'setGapFactor':
      return updatePanel(action.panel, (p) => ({ ...p, gapFactor: Math.max(0, action.gapFactor) }));
    case 'setWindow':
      return updatePanel(action.panel, (p) => ({ ...p, windowMs: action.windowMs }));
    case 'setChannels': {
      const target = layout.panels.find((p) => p.id === action.panel);
      checkRoom(action.channels, target);
      return updatePanel(action.panel, (p) => ({ ...p, channels: [...new Set(action.channels)] }));
    }
    case 'plot': {
      if (action.panel === null) {
        checkRoom(action.channels);
        const panel = fresh('', action.channels);
        panel.title = action.title?.trim() || `Panel ${panel.id.slice('panel-'.length)}`;
        return withPanels([...layout.panels, panel]);
      }
      const target = layout.panels.find((p) => p.id === action.panel);
      if (!target) throw new LayoutError(`no panel "${action.panel}" in this layout`);
      const channels = [...new Set([...target.channels, ...action.channels])];
      checkRoom(channels, target);
      return updatePanel(action.panel, (p) => ({ ...p, channels }));
    }
    case 'addLayout': {
      const name = action.name.trim();
      if (!name) throw new LayoutError('enter a name for the layout');
      if (state.layouts.some((l) => l.name === name))
        throw new LayoutError(`there is already a layout named "${name}"`);
      return { layouts: [...state.layouts, { name, panels: [] }], active: name };
    }
    case 'renameLayout': {
      const to = action.to.trim();
      if (!to) throw new LayoutError('enter a name for the layout');
      if (to === action.name) return state;
      if (state.layouts.some((l) => l.name === to))
        throw new LayoutError(`there is already a layout named "${to}"`);
      return {
        layouts: state.layouts.map((l) => (l.name === action.name ? { ...l, name: to } : l)),
        active: state.active === action.name ? to : state.active,
      };
    }
    case 'removeLayout': {
      if (state.layouts.length <= 1) throw new LayoutError('the last layout cannot be removed');
      const layouts = state.layouts.filter((l) => l.name !== action.name);
      return { layouts, active: state.active === action.name ? layouts[0]!.name : state.active };
    }
    case 'switchLayout':
      if (!state.layouts.some((l) => l.name === action.name))
        throw new LayoutError(`no layout named "${action.name}"`);
      return { ...state, active: action.name };
  }
}
