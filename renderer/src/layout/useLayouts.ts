// The layouts the console shows, edited here and saved to the workspace through the engine a moment
// after the last change (a drag or typing makes many), so a reload shows exactly what was there.
// A change saved elsewhere (another console, an edit of opsdeck.json) is taken over when this
// console has nothing waiting to be saved; otherwise this console's save comes later and wins.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { RpcClient } from '../../../shared/rpc';
import type { WorkspaceConfig } from '../../../shared/schemas';
import {
  LayoutError,
  layoutsFromWorkspace,
  layoutsReducer,
  type LayoutAction,
  type LayoutsState,
} from './layout-state';

/** Saves wait this long after the last change. */
export const LAYOUT_SAVE_DELAY_MS = 400;

export interface LayoutsControl {
  state: LayoutsState | null;
  /** Applies a change; false (and the reason reported) when it cannot be made. */
  dispatch(action: LayoutAction): boolean;
  /** A change waits to be saved, or is being saved. */
  saving: boolean;
}

export function useLayouts(
  client: RpcClient | null,
  workspace: WorkspaceConfig | null,
  readOnly: boolean,
  onError: (message: string) => void,
): LayoutsControl {
  const [state, setState] = useState<LayoutsState | null>(null);
  const stateRef = useRef<LayoutsState | null>(null);
  const [saving, setSaving] = useState(false);
  const pending = useRef(false);
  const timer = useRef<number | undefined>(undefined);
  const clientRef = useRef(client);
  useEffect(() => {
    clientRef.current = client;
  }, [client]);

  // The workspace's layouts, whenever they are read and nothing of ours waits to be saved.
  useEffect(() => {
    if (!workspace || pending.current) return;
    const next = layoutsFromWorkspace(workspace);
    if (JSON.stringify(next) === JSON.stringify(stateRef.current)) return;
    stateRef.current = next;
    setState(next);
  }, [workspace]);

  const save = useCallback(() => {
    const current = stateRef.current;
    const c = clientRef.current;
    if (!current || !c) {
      pending.current = false;
      setSaving(false);
      return;
    }
    c.call('saveLayouts', { layouts: current.layouts, activeLayout: current.active })
      .catch((error: Error) => onError(`saving the layout failed: ${error.message}`))
      .finally(() => {
        // A change made while this save was on its way has its own timer.
        if (timer.current === undefined) {
          pending.current = false;
          setSaving(false);
        }
      });
  }, [onError]);

  const dispatch = useCallback(
    (action: LayoutAction): boolean => {
      const current = stateRef.current;
      if (!current) return false;
      let next: LayoutsState;
      try {
        next = layoutsReducer(current, action);
      } catch (error) {
        if (error instanceof LayoutError) {
          onError(error.message);
          return false;
        }
        throw error;
      }
      if (next === current) return true;
      stateRef.current = next;
      setState(next);
      if (readOnly) return true; // shown in this window only
      pending.current = true;
      setSaving(true);
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        save();
      }, LAYOUT_SAVE_DELAY_MS);
      return true;
    },
    [onError, readOnly, save],
  );

  // Leaving (a reload) with a change not yet sent: send it now rather than lose it.
  useEffect(() => {
    const flush = () => {
      if (timer.current === undefined) return;
      window.clearTimeout(timer.current);
      timer.current = undefined;
      save();
    };
    window.addEventListener('pagehide', flush);
    return () => window.removeEventListener('pagehide', flush);
  }, [save]);

  return { state, dispatch, saving };
}
