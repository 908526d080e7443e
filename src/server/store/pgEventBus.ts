// The event bus between server processes that share one PostgreSQL database: LISTEN/NOTIFY on one channel.
// Each process sends its coalesced changes at most once per flush, so the channel carries a few messages a
// second however busy the fleet is.
import type { BusMessage, EventBus } from '../events';

export const CHANNEL = 'update_fleet_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7_900;

export async function pgEventBus(connectionString: string, onMessage: (m: BusMessage) => void): Promise<EventBus> {
  const pg = await import('pg');
  const Client = pg.default?.Client ?? (pg as unknown as { Client: typeof pg.Client }).Client;
  const listener = new Client({ connectionString });
  const sender = new Client({ connectionString });
  await Promise.all([listener.connect(), sender.connect()]);
  listener.on('notification', (n) => {
    if (n.channel !== CHANNEL || !n.payload) return;
    try {
      onMessage(JSON.parse(n.payload) as BusMessage);
    } catch { /* not ours */ }
  });
  // A lost connection must not crash the server; events then stay per process until restart.
  listener.on('error', () => {});
  sender.on('error', () => {});
  await listener.query(`LISTEN ${CHANNEL}`);
  let chain: Promise<unknown> = Promise.resolve();
  return {
    send(m: BusMessage) {
      let payload = JSON.stringify(m);
      if (payload.length > MAX_PAYLOAD) {
        // Too much detail for one notification: say that things changed; receivers refresh.
        payload = JSON.stringify({ ...m, events: m.events.filter((e) => e.type !== 'summary').slice(0, 20) });
        if (payload.length > MAX_PAYLOAD) payload = JSON.stringify({ origin: m.origin, events: [], clients: m.clients && { changed: m.clients.changed, groupIds: [] } });
      }
      chain = chain.then(() => sender.query('SELECT pg_notify($1, $2)', [CHANNEL, payload])).catch(() => {});
    },
    async close() {
      await chain;
      await Promise.allSettled([listener.end(), sender.end()]);
    },
  };
}
