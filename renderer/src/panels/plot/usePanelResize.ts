// The panel's height, dragged by its bottom edge or stepped with the arrow keys. While dragging the
// height follows the pointer locally; the layout is told once, when the drag ends.
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { PANEL_MAX_HEIGHT, PANEL_MIN_HEIGHT } from '../../../../shared/schemas';

const KEY_STEP_PX = 40;

export function usePanelResize(
  saved: number,
  onResized: (height: number) => void,
): {
  height: number;
  handleProps: {
    onPointerDown(e: PointerEvent<HTMLElement>): void;
    onPointerMove(e: PointerEvent<HTMLElement>): void;
    onPointerUp(e: PointerEvent<HTMLElement>): void;
    onKeyDown(e: KeyboardEvent<HTMLElement>): void;
  };
} {
  const [dragged, setDragged] = useState<number | null>(null);
  const drag = useRef<{ startY: number; startHeight: number } | null>(null);
  useEffect(() => setDragged(null), [saved]);
  const clamp = (h: number) => Math.round(Math.min(PANEL_MAX_HEIGHT, Math.max(PANEL_MIN_HEIGHT, h)));
  const height = dragged ?? saved;
  return {
    height,
    handleProps: {
      onPointerDown(e) {
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = { startY: e.clientY, startHeight: height };
      },
      onPointerMove(e) {
        if (drag.current) setDragged(clamp(drag.current.startHeight + e.clientY - drag.current.startY));
      },
      onPointerUp(e) {
        if (!drag.current) return;
        const next = clamp(drag.current.startHeight + e.clientY - drag.current.startY);
        drag.current = null;
        setDragged(next);
        if (next !== saved) onResized(next);
      },
      onKeyDown(e) {
        const step = e.key === 'ArrowDown' ? KEY_STEP_PX : e.key === 'ArrowUp' ? -KEY_STEP_PX : 0;
        if (step === 0) return;
        e.preventDefault();
        onResized(clamp(height + step));
      },
    },
  };
}
