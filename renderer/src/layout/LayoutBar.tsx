// The named layouts of the workspace in the top bar: which one is shown, and adding a panel or a
// layout, renaming or removing the layout shown.
import { useState } from 'react';
import { activeLayout, newLayoutName, type LayoutAction, type LayoutsState } from './layout-state';

export function LayoutBar({
  state,
  saving,
  onLayout,
}: {
  state: LayoutsState;
  saving: boolean;
  onLayout(action: LayoutAction): boolean;
}) {
  const [renaming, setRenaming] = useState<string | null>(null);
  const current = activeLayout(state);
  const commitRename = () => {
    if (renaming !== null && onLayout({ type: 'renameLayout', name: current.name, to: renaming }))
      setRenaming(null);
  };
  return (
    <div className="layout-bar" data-testid="layout-bar">
      {renaming === null ? (
        <label className="window-select">
          <span>Layout</span>
          <select
            value={state.active}
            onChange={(e) => onLayout({ type: 'switchLayout', name: e.target.value })}
            data-testid="layout-select"
          >
            {state.layouts.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <input
          aria-label="Layout name"
          value={renaming}
          maxLength={80}
          autoFocus
          onChange={(e) => setRenaming(e.target.value)}
          onBlur={commitRename}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitRename();
            if (e.key === 'Escape') setRenaming(null);
          }}
          data-testid="layout-name-input"
        />
      )}
      <button type="button" onClick={() => setRenaming(current.name)} data-testid="layout-rename">
        Rename
      </button>
      <button
        type="button"
        onClick={() => onLayout({ type: 'addLayout', name: newLayoutName(state) })}
        data-testid="layout-add"
      >
        + Layout
      </button>
      <button
        type="button"
        onClick={() => onLayout({ type: 'removeLayout', name: current.name })}
        disabled={state.layouts.length <= 1}
        data-testid="layout-remove"
      >
        Remove layout
      </button>
      <button
        type="button"
        className="primary"
        onClick={() => onLayout({ type: 'addPanel' })}
        data-testid="panel-add"
      >
        + Panel
      </button>
      <span className="layout-saved" data-testid="layout-saved" data-value={saving ? 'saving' : 'saved'}>
        {saving ? 'saving…' : ''}
      </span>
    </div>
  );
}
