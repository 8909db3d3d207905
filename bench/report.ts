// How every benchmark prints: one figure per line, `name: value unit`. Never pass/fail.

export function figure(name: string, value: number, unit: string): void {
  const shown = Math.abs(value) >= 100 ? Math.round(value).toString() : value.toPrecision(3);
  process.stdout.write(`${name}: ${shown}${unit ? ` ${unit}` : ''}\n`);
}

/** Progress and explanations: stderr, so stdout stays one figure per line. */
export function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}
