// Publish one message through an MQTT source (or the built-in broker), or a Kafka source — with a
// key and headers, sent with `kafkaProduce`. Stays open after sending so the same message can be
// sent again or varied; shows what the engine answered.
import { useState, type FormEvent } from 'react';
import { KafkaProduceRequest, PublishRequest } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { useTimeFormat } from '../../time-zone';
import { Modal } from '../../widgets/Modal';
import { issuesByPath } from '../../schema-form';

type Encoding = 'utf8' | 'hex' | 'base64';
type Outcome = { ok: true; at: number; topic: string } | { ok: false; message: string };

export function PublishDialog({
  client,
  sourceId,
  sourceName,
  initialTopic,
  kafka = false,
  onClose,
}: {
  client: RpcClient | null;
  sourceId: string;
  sourceName: string;
  /** A Kafka source: key and headers instead of QoS and retain. */
  kafka?: boolean;
  initialTopic: string;
  onClose(): void;
}) {
  const timeFormat = useTimeFormat();
  const [topic, setTopic] = useState(initialTopic);
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState<Encoding>('utf8');
  const [qos, setQos] = useState<0 | 1 | 2>(0);
  const [retain, setRetain] = useState(false);
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const [key, setKey] = useState('');
  const [headerText, setHeaderText] = useState('');
  /** Headers as `name: value` lines. */
  const headers = Object.fromEntries(
    headerText
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const at = line.indexOf(':');
        return at < 0 ? [line.trim(), ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      }),
  );
  const request = kafka
    ? { source: sourceId, topic, payload, encoding, headers, ...(key ? { key } : {}) }
    : { source: sourceId, topic, payload, encoding, qos, retain };
  const parsed = (kafka ? KafkaProduceRequest : PublishRequest).safeParse(request);
  const errors = parsed.success ? new Map<string, string>() : issuesByPath(parsed.error);
  const topicError = topic === '' ? undefined : errors.get('topic');

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!client || !parsed.success) return;
    setSending(true);
    setOutcome(null);
    try {
      if (kafka) {
        const sent = await client.call('kafkaProduce', KafkaProduceRequest.parse(request));
        setOutcome({
          ok: true,
          at: Date.now(),
          topic: `${topic} partition ${sent.partition} offset ${sent.offset}`,
        });
      } else {
        await client.call('publish', PublishRequest.parse(request));
        setOutcome({ ok: true, at: Date.now(), topic });
      }
    } catch (error) {
      setOutcome({ ok: false, message: (error as Error).message });
    } finally {
      setSending(false);
    }
  };

  return (
    <Modal title={`Publish via “${sourceName}”`} onClose={onClose} testId="publish-dialog">
      <form className="form" onSubmit={(e) => void send(e)} noValidate>
        <div className="form-body">
          <label className="form-row">
            <span className="form-label">Topic</span>
            <span className="form-control">
              <input
                type="text"
                value={topic}
                onChange={(e) => setTopic(e.target.value)}
                spellCheck={false}
                autoComplete="off"
                placeholder="site/line1/command"
                aria-invalid={topicError ? true : undefined}
                data-testid="publish-topic"
                autoFocus={initialTopic === ''}
              />
              {topicError && (
                <span className="form-error" role="alert">
                  {topicError}
                </span>
              )}
            </span>
          </label>
          <label className="form-row">
            <span className="form-label">Payload</span>
            <span className="form-control">
              <textarea
                value={payload}
                onChange={(e) => setPayload(e.target.value)}
                rows={6}
                spellCheck={false}
                placeholder={
                  encoding === 'hex' ? '01 02 ff …' : encoding === 'base64' ? 'AQL/…' : '{"setpoint": 21.5}'
                }
                onKeyDown={(e) => {
                  // Ctrl/⌘+Enter sends from the payload box, where Enter is a new line.
                  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
                }}
                data-testid="publish-payload"
                autoFocus={initialTopic !== ''}
              />
              {errors.get('payload') && (
                <span className="form-error" role="alert">
                  {errors.get('payload')}
                </span>
              )}
            </span>
          </label>
          {kafka && (
            <>
              <label className="form-row">
                <span className="form-label">Key</span>
                <span className="form-control">
                  <input
                    type="text"
                    value={key}
                    onChange={(e) => setKey(e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                    placeholder="none: Kafka spreads messages over partitions"
                    data-testid="publish-key"
                  />
                </span>
              </label>
              <label className="form-row">
                <span className="form-label">Headers</span>
                <span className="form-control">
                  <textarea
                    value={headerText}
                    onChange={(e) => setHeaderText(e.target.value)}
                    rows={3}
                    spellCheck={false}
                    placeholder={'one per line — name: value'}
                    data-testid="publish-headers"
                  />
                  {errors.get('headers') && (
                    <span className="form-error" role="alert">
                      {errors.get('headers')}
                    </span>
                  )}
                </span>
              </label>
            </>
          )}
          <div className="form-row">
            <span className="form-label">Options</span>
            <span className="form-control form-inline">
              <label>
                Encoding{' '}
                <select
                  value={encoding}
                  onChange={(e) => setEncoding(e.target.value as Encoding)}
                  data-testid="publish-encoding"
                >
                  <option value="utf8">text (UTF-8)</option>
                  <option value="hex">hex</option>
                  <option value="base64">base64</option>
                </select>
              </label>
              {!kafka && (
                <>
                  <label>
                    QoS{' '}
                    <select
                      value={qos}
                      onChange={(e) => setQos(Number(e.target.value) as 0 | 1 | 2)}
                      data-testid="publish-qos"
                    >
                      <option value={0}>0</option>
                      <option value={1}>1</option>
                      <option value={2}>2</option>
                    </select>
                  </label>
                  <label>
                    <input
                      type="checkbox"
                      checked={retain}
                      onChange={(e) => setRetain(e.target.checked)}
                      data-testid="publish-retain"
                    />{' '}
                    Retain
                  </label>
                </>
              )}
            </span>
          </div>
        </div>
        <footer className="form-foot">
          <div className="form-buttons">
            <span
              className={`publish-outcome${outcome ? (outcome.ok ? ' ok' : ' failed') : ''}`}
              role={outcome && !outcome.ok ? 'alert' : 'status'}
              data-testid="publish-result"
            >
              {outcome === null
                ? retain
                  ? 'Retained: the broker keeps it for every new subscriber.'
                  : ''
                : outcome.ok
                  ? `Published to ${outcome.topic} at ${timeFormat.time(outcome.at)} ${timeFormat.label}.`
                  : `Not published: ${outcome.message}`}
            </span>
            <span className="spacer" />
            <button type="button" onClick={onClose} data-testid="publish-close">
              Close
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!client || sending || !parsed.success}
              data-testid="publish-send"
              title="Publish (Ctrl+Enter in the payload)"
            >
              {sending ? 'Publishing…' : 'Publish'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}
