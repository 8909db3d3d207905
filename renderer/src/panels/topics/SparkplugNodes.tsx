// The Sparkplug B edge nodes of an MQTT source, as its host application sees them: each node and
// device online or offline (from births and deaths), the node's bdSeq and seq gaps, a rebirth it
// owes, and a button to ask for one — enabled only when the source may publish to the plant's
// broker (`sparkplug.allowPublish`). Shown above the topic tree; nothing when there is no Sparkplug.
import { memo, useState } from 'react';
import type { SparkplugNode, SparkplugNodesResult } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { useSubscription } from '../../useSubscription';
import { errorText, formatAge, formatCount } from '../../format';

export const SparkplugNodes = memo(function SparkplugNodes({
  sourceId,
  client,
}: {
  sourceId: string;
  client: RpcClient | null;
}) {
  const [state, setState] = useState<SparkplugNodesResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  // An error means the source stopped, or reads no Sparkplug: the topic tree says why.
  useSubscription(client, 'sparkplugNodes', { source: sourceId }, setState, () => setState(null));

  if (!state || state.nodes.length === 0) return null;
  const rebirth = async (node: SparkplugNode) => {
    if (!client) return;
    try {
      await client.call('sparkplugRebirth', { source: sourceId, group: node.group, node: node.node });
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const now = Date.now();
  return (
    <div className="sparkplug-nodes" data-testid={`sparkplug-${sourceId}`}>
      <div className="sparkplug-head">
        Sparkplug edge nodes
        {state.hostId && <span className="dim"> · primary host {state.hostId}</span>}
        {!state.allowPublish && (
          <span className="dim" title="Turn on sparkplug.allowPublish in the source's options to let it ask">
            {' '}
            · listening only
          </span>
        )}
      </div>
      {error && (
        <p className="topic-error" role="status">
          {error}
        </p>
      )}
      <ul>
        {state.nodes.map((n) => (
          <li key={`${n.group}/${n.node}`} data-testid={`sparkplug-node-${n.group}/${n.node}`}>
            <div className="sparkplug-row">
              <Online online={n.online} />
              <span className="sparkplug-name" title={`${n.group}/${n.node}`}>
                {n.group}/{n.node}
              </span>
              <span className="dim">
                {n.online === null ? 'no birth seen' : n.online ? 'online' : 'offline'}
                {n.bdSeq !== null && ` · bdSeq ${n.bdSeq}`}
                {n.seqGaps > 0 && ` · ${formatCount(n.seqGaps)} seq gap${n.seqGaps === 1 ? '' : 's'}`}
                {n.rebirthsRequested > 0 &&
                  ` · asked to rebirth ${formatCount(n.rebirthsRequested)}×${n.lastRebirthRequest === null ? '' : `, last ${formatAge(now - n.lastRebirthRequest)} ago`}`}
              </span>
              <button
                type="button"
                className="small"
                disabled={!client || !state.allowPublish}
                title={
                  state.allowPublish
                    ? 'Ask this edge node to publish its births again (NCMD Node Control/Rebirth)'
                    : 'This source may not publish to the broker: turn on sparkplug.allowPublish in its options'
                }
                onClick={() => void rebirth(n)}
              >
                Rebirth
              </button>
            </div>
            {n.rebirthWanted && (
              <div className="sparkplug-wanted" role="status">
                needs a rebirth: {n.rebirthWanted}
              </div>
            )}
            {n.devices.length > 0 && (
              <ul className="sparkplug-devices">
                {n.devices.map((d) => (
                  <li
                    key={d.device}
                    className="sparkplug-row"
                    data-testid={`sparkplug-device-${n.group}/${n.node}/${d.device}`}
                  >
                    <Online online={d.online} />
                    <span className="sparkplug-name" title={d.device}>
                      {d.device}
                    </span>
                    <span className="dim">
                      {d.online === null ? 'no birth seen' : d.online ? 'online' : 'offline'}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
});

function Online({ online }: { online: boolean | null }) {
  return (
    <span
      className={`dot ${online === null ? 'state-starting' : online ? 'state-connected' : 'state-disconnected'}`}
      aria-hidden="true"
    />
  );
}
