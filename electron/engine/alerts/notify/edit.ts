// Notifiers edited from the console: the workspace with one notifier added, replaced, renamed or
// removed (rules' notify lists follow a rename or a removal), and a test notification sent through a
// configuration once, with its outcome, so "send test" tells the user what the receiver said.
import type { NotifierConfig } from '../../../../shared/alerts';
import type { NotifierTestResult } from '../../../../shared/api';
import type { WorkspaceConfig } from '../../../../shared/schemas';
import type { AlertNotification } from './payload';
import { fingerprint } from './payload';
import { describeError, makeSender, type SenderHost } from './senders';

/** The workspace with `notifier` in place of `previousId` (or its own id), or added at the end. */
export function withNotifier(
  config: WorkspaceConfig,
  notifier: NotifierConfig,
  previousId = notifier.id,
): WorkspaceConfig {
  const list = config.alerting.notifiers ?? [];
  if (previousId !== notifier.id && list.some((n) => n.id === notifier.id))
    throw new Error(`notifier.id: there is already a notifier "${notifier.id}"`);
  const replaced = list.some((n) => n.id === previousId);
  const notifiers = replaced ? list.map((n) => (n.id === previousId ? notifier : n)) : [...list, notifier];
  const rules =
    previousId === notifier.id
      ? config.rules
      : config.rules.map((r) =>
          r.notify?.includes(previousId)
            ? { ...r, notify: r.notify!.map((id) => (id === previousId ? notifier.id : id)) }
            : r,
        );
  return { ...config, rules, alerting: { ...config.alerting, notifiers } };
}

/** The workspace without notifier `id`; rules stop naming it. */
export function withoutNotifier(config: WorkspaceConfig, id: string): WorkspaceConfig {
  const list = config.alerting.notifiers ?? [];
  if (!list.some((n) => n.id === id)) throw new Error(`no notifier "${id}"`);
  return {
    ...config,
    rules: config.rules.map((r) =>
      r.notify?.includes(id) ? { ...r, notify: r.notify.filter((n) => n !== id) } : r,
    ),
    alerting: { ...config.alerting, notifiers: list.filter((n) => n.id !== id) },
  };
}

/** One attempt to deliver a test notification, which says it is one. */
export async function sendTestNotification(
  notifier: NotifierConfig,
  host: SenderHost,
): Promise<NotifierTestResult> {
  const now = host.now();
  const labels = { alertname: 'opsdeck-test', notifier: notifier.id };
  const alert: AlertNotification = {
    status: 'firing',
    rule: 'opsdeck-test',
    labels,
    annotations: { summary: `Test notification from OpsDeck to notifier "${notifier.id}"; not an alert.` },
    severity: 'info',
    state: 'firing',
    value: 0,
    startsAt: now,
    endsAt: null,
    fingerprint: fingerprint(labels),
  };
  const started = Date.now();
  try {
    await makeSender(
      notifier,
      host,
    )({
      status: 'firing',
      groupKey: '{}:{alertname="opsdeck-test"}',
      groupLabels: { alertname: 'opsdeck-test' },
      alerts: [alert],
    });
    return { ok: true, error: null, elapsedMs: Date.now() - started };
  } catch (error) {
    return { ok: false, error: describeError(error), elapsedMs: Date.now() - started };
  }
}
