// The edit and remove buttons at the end of a table row (alert rules, notifiers). Remove asks
// first, in the row itself, so a stray click removes nothing.

export function RowTools({
  name,
  disabled,
  confirming,
  question,
  editTitle = 'Edit',
  editTestId,
  onEdit,
  onAskRemove,
  onRemove,
  onKeep,
}: {
  /** What the row is, as the buttons' labels say it. */
  name: string;
  disabled: boolean;
  /** Asking whether to remove this row. */
  confirming: boolean;
  /** After "Remove “name”?": what removing it does, if anything needs saying. */
  question?: string;
  editTitle?: string;
  editTestId: string;
  onEdit(): void;
  onAskRemove(): void;
  onRemove(): void;
  onKeep(): void;
}) {
  return (
    <>
      <button
        type="button"
        onClick={onEdit}
        disabled={disabled}
        aria-label={`Edit ${name}`}
        title={editTitle}
        data-testid={editTestId}
      >
        ✎
      </button>
      {confirming ? (
        <span className="confirm" role="group" aria-label="Confirm removal">
          <span>
            Remove “{name}”?{question ? ` ${question}` : ''}
          </span>
          <button type="button" onClick={onRemove}>
            Remove
          </button>
          <button type="button" onClick={onKeep}>
            Keep
          </button>
        </span>
      ) : (
        <button
          type="button"
          onClick={onAskRemove}
          disabled={disabled}
          aria-label={`Remove ${name}`}
          title="Remove"
        >
          ×
        </button>
      )}
    </>
  );
}
