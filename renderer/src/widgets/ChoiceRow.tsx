// A labelled select in the forms' look: the schema-generated choices (widgets/SchemaFields.tsx) and
// those a form lays out itself (a rule's or notifier's kind, a serial device's format).
import { useId } from 'react';

export function ChoiceRow({
  label,
  value,
  options,
  onChange,
  testId,
  help,
  error,
}: {
  label: string;
  value: string;
  options: readonly { value: string; label: string }[];
  onChange(value: string): void;
  testId: string;
  help?: string;
  /** What is wrong with the choice, shown under it and announced. */
  error?: string;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="form-row">
      <label className="form-label" htmlFor={id}>
        {label}
      </label>
      <span className="form-control">
        <select
          id={id}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          data-testid={testId}
        >
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {help && <span className="form-help">{help}</span>}
        {error && (
          <span className="form-error" id={errorId} role="alert">
            {error}
          </span>
        )}
      </span>
    </div>
  );
}
