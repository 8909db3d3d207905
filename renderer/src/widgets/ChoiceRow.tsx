// A labelled select in the forms' look, for choices a form lays out itself rather than generating
// them from a schema (a rule's or notifier's kind, a serial device's format).
import { useId } from 'react';

export function ChoiceRow({
  label,
  value,
  options,
  onChange,
  testId,
  help,
}: {
  label: string;
  value: string;
  options: readonly { value: string; label: string }[];
  onChange(value: string): void;
  testId: string;
  help?: string;
}) {
  const id = useId();
  return (
    <div className="form-row">
      <label className="form-label" htmlFor={id}>
        {label}
      </label>
      <span className="form-control">
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {help && <span className="form-help">{help}</span>}
      </span>
    </div>
  );
}
