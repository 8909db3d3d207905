// "Plot" on a topic field or a serial source's channels: which panel of the layout shown gets them,
// or a new one.
import { useState } from 'react';
import { Modal } from '../widgets/Modal';
import type { Layout } from '../../../shared/schemas';

export function PlotTargetDialog({
  layout,
  channels,
  suggestedTitle,
  onPlot,
  onClose,
}: {
  layout: Layout;
  channels: readonly string[];
  suggestedTitle: string;
  /** `null`: a new panel with this title. */
  onPlot(panel: string | null, title: string): void;
  onClose(): void;
}) {
  const [title, setTitle] = useState(suggestedTitle);
  const what = channels.length === 1 ? channels[0]! : `${channels.length} channels`;
  return (
    <Modal title={`Plot ${what} in…`} onClose={onClose} testId="plot-target">
      <div className="plot-target-list">
        {layout.panels.map((p) => {
          const has = channels.every((c) => p.channels.includes(c));
          return (
            <button
              key={p.id}
              type="button"
              disabled={has}
              onClick={() => onPlot(p.id, p.title)}
              data-testid={`plot-target-${p.id}`}
            >
              {p.title || p.id}
              {has ? ' (already there)' : ` (${p.channels.length} channels)`}
            </button>
          );
        })}
        <form
          className="plot-target-new"
          onSubmit={(e) => {
            e.preventDefault();
            onPlot(null, title);
          }}
        >
          <label>
            <span>New panel</span>{' '}
            <input
              value={title}
              maxLength={120}
              onChange={(e) => setTitle(e.target.value)}
              aria-label="Title of the new panel"
              data-testid="plot-target-new-title"
            />
          </label>{' '}
          <button type="submit" className="primary" data-testid="plot-target-new">
            Plot in a new panel
          </button>
        </form>
      </div>
    </Modal>
  );
}
