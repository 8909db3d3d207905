import type { LocalNotice } from './useEngine';
import { Timestamp } from './time-zone';

export function NoticeLog({ notices }: { notices: readonly LocalNotice[] }) {
  return (
    <section className="notices" aria-labelledby="notices-title">
      <h2 id="notices-title">Notices</h2>
      {notices.length === 0 ? (
        <p className="empty">Nothing to report.</p>
      ) : (
        <ol aria-live="polite" data-testid="notices">
          {notices.map((n) => (
            <li key={n.key} className={`notice notice-${n.level}`}>
              <Timestamp ms={n.ts} />
              <span className="notice-level">{n.level}</span>
              <span className="notice-message">{n.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
