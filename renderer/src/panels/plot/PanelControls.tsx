// A plot panel's title and what can be done to the panel itself: rename it (in place), move it up or
// down the layout, remove it.
import { useState } from 'react';
import type { PlotPanel } from '../../../../shared/schemas';
import type { LayoutAction } from '../../layout/layout-state';

export function PanelControls({
  panel,
  title,
  position,
  onLayout,
}: {
  panel: PlotPanel;
  title: string;
  position: { index: number; count: number };
  onLayout(action: LayoutAction): void;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  const commit = () => {
    if (editing !== null && editing.trim() && editing.trim() !== panel.title)
      onLayout({ type: 'renamePanel', panel: panel.id, title: editing });
    setEditing(null);
  };
  return (
    <div className="panel-title">
      {editing === null ? (
        <h3>
          <button
            type="button"
            className="panel-title-button"
            onClick={() => setEditing(title)}
            title="Rename this panel"
            data-testid={`panel-title-${panel.id}`}
          >
            {title}
          </button>
        </h3>
      ) : (
        <input
          className="panel-title-input"
          aria-label="Panel title"
          value={editing}
          maxLength={120}
          autoFocus
          onChange={(e) => setEditing(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
            if (e.key === 'Escape') setEditing(null);
          }}
          data-testid={`panel-title-input-${panel.id}`}
        />
      )}
      <span className="panel-order">
        <button
          type="button"
          className="icon-button"
          aria-label={`Move ${title} up`}
          title="Move up"
          disabled={position.index === 0}
          onClick={() => onLayout({ type: 'movePanel', panel: panel.id, by: -1 })}
          data-testid={`panel-up-${panel.id}`}
        >
          ↑
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`Move ${title} down`}
          title="Move down"
          disabled={position.index >= position.count - 1}
          onClick={() => onLayout({ type: 'movePanel', panel: panel.id, by: 1 })}
          data-testid={`panel-down-${panel.id}`}
        >
          ↓
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`Remove ${title}`}
          title="Remove this panel"
          onClick={() => onLayout({ type: 'removePanel', panel: panel.id })}
          data-testid={`panel-remove-${panel.id}`}
        >
          ×
        </button>
      </span>
    </div>
  );
}
