// Severity words as colour classes: the log table's rows, the histogram's bars.
const CLASSES: Record<string, string> = {
  emerg: 'sev-error',
  alert: 'sev-error',
  crit: 'sev-error',
  critical: 'sev-error',
  fatal: 'sev-error',
  err: 'sev-error',
  error: 'sev-error',
  warn: 'sev-warn',
  warning: 'sev-warn',
  notice: 'sev-info',
  info: 'sev-info',
  debug: 'sev-debug',
  trace: 'sev-debug',
};

export function severityClass(severity: string): string {
  return CLASSES[severity.toLowerCase()] ?? 'sev-other';
}
