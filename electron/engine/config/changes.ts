// Who changed which part of opsdeck.json. Every save goes through the engine's `saveConfig`; this
// tells every console what changed and who changed it (a console by its connection name, or an edit
// of the file), so a console that did not make the change can reload it and say so.
import { AsyncLocalStorage } from 'node:async_hooks';
import { WorkspaceSection, type WorkspaceChanged } from '../../../shared/api';
import type { WorkspaceConfig } from '../../../shared/schemas';

const SECTIONS = WorkspaceSection.options;

/** The sections whose content differs; `layouts` covers `activeLayout` too. */
export function changedSections(before: WorkspaceConfig, after: WorkspaceConfig): WorkspaceSection[] {
  const part = (c: WorkspaceConfig, s: WorkspaceSection): unknown =>
    s === 'layouts' ? [c.layouts, c.activeLayout ?? null] : c[s];
  return SECTIONS.filter((s) => JSON.stringify(part(before, s)) !== JSON.stringify(part(after, s)));
}

export type WorkspaceChangeListener = (change: WorkspaceChanged) => void;

type Origin = Pick<WorkspaceChanged, 'origin' | 'connection'>;

export class ConfigChanges {
  private readonly listeners = new Set<WorkspaceChangeListener>();
  /** Who is saving: follows a call through its awaits (a source restarted before its save). */
  private readonly current = new AsyncLocalStorage<Origin>();
  private nextConnection = 1;

  /** A name for a new connection, unique in this engine. */
  connectionName(): string {
    return `c${this.nextConnection++}`;
  }

  /** Runs a save (synchronous or not) on behalf of `connection`, so its change event names it. */
  by<T>(connection: string | null, origin: WorkspaceChanged['origin'], save: () => T): T {
    return this.current.run({ origin, connection }, save);
  }

  /** Who is saving now: a console's connection, or an edit of the file (the audit log's actor). */
  origin(): Origin {
    return this.current.getStore() ?? { origin: 'console', connection: null };
  }

  /** Called by the engine after a save; nothing is said when nothing changed. */
  saved(before: WorkspaceConfig, after: WorkspaceConfig): void {
    const sections = changedSections(before, after);
    if (sections.length === 0) return;
    const { origin, connection } = this.current.getStore() ?? { origin: 'console', connection: null };
    const change: WorkspaceChanged = { sections, origin, connection };
    for (const listener of this.listeners) listener(change);
  }

  on(listener: WorkspaceChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
