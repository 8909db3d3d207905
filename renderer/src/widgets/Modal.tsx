// A modal built on <dialog>: the browser traps focus in it, closes it on Escape and restores focus
// to what opened it when it closes.
import { useEffect, useRef, type ReactNode } from 'react';

export function Modal({
  title,
  onClose,
  children,
  testId,
  wide = false,
}: {
  title: ReactNode;
  onClose(): void;
  children: ReactNode;
  testId?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    // Effects run twice in development: opening an open modal dialog is a no-op, not an error.
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' modal-wide' : ''}`}
      onClose={onClose}
      data-testid={testId}
      aria-labelledby={testId ? `${testId}-title` : undefined}
    >
      <header className="modal-head">
        <h2 id={testId ? `${testId}-title` : undefined}>{title}</h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close this dialog"
          onClick={() => ref.current?.close()}
        >
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}
