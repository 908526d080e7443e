// The heavy-read worker: its own read-only connection (SQLite in WAL mode lets it read beside the server's
// writes), so exports, previews, search totals and short-text scans never stop the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { decide, PreviewTally, type PolicyPreviewResponse } from '../../core';
import { FleetStore } from '../store/store';
import { csvHeader, csvRows } from './csvReport';
import type { CsvArgs, HeavyReply, HeavyRequest, PreviewArgs, WorkerConfig } from './protocol';

const config = workerData as WorkerConfig;
const port = parentPort!;
const storeReady = FleetStore.open({ ...config, readonly: true });

// Check-ins come first: on Linux a thread has its own nice value, so this thread yields the CPU to the server's.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
} catch { /* not Linux: run at the normal priority */ }

function send(m: HeavyReply): void {
  port.postMessage(m);
}

/** Streams waiting for the server to take their last chunk, by request id. */
const waiting = new Map<number, (go: boolean) => void>();

async function preview(a: PreviewArgs): Promise<PolicyPreviewResponse> {
  const store = await storeReady;
  const now = new Date(a.now);
  const tally = new PreviewTally(a.policy, a.releases, now, a.facts);
  for await (const batch of store.iterateDecisionInputs(a.groupId)) for (const c of batch) tally.add(c);
  // The first clients in the table's order, each decided in full (reason and message are per client).
  const clients: PolicyPreviewResponse['clients'] = [];
  for await (const batch of store.iterateClients({ groupId: a.groupId }, a.limit)) {
    for (const c of batch) {
      const d = decide(c, a.policy, a.releases, now, a.facts);
      clients.push({ client: c, action: d.action, targetVersion: d.release?.version ?? null, reason: d.reason, message: d.message });
    }
    break;
  }
  return { counts: tally.counts, total: tally.total, clients };
}

async function csv(id: number, a: CsvArgs): Promise<void> {
  const store = await storeReady;
  let text = csvHeader();
  for await (const batch of store.iterateClients(a.filter, 5_000)) {
    text += csvRows(batch, a.groupNames);
    send({ id, chunk: text });
    text = '';
    const go = await new Promise<boolean>((resolve) => waiting.set(id, resolve));
    if (!go) return;
  }
  if (text) send({ id, chunk: text });
  send({ id, end: true });
}

async function handle(m: HeavyRequest): Promise<void> {
  const store = await storeReady;
  switch (m.kind) {
    case 'more':
    case 'cancel': {
      const resume = waiting.get(m.id);
      waiting.delete(m.id);
      resume?.(m.kind === 'more');
      return;
    }
    case 'csv':
      return csv(m.id, m.args);
    case 'preview':
      return send({ id: m.id, ok: true, result: await preview(m.args) });
    case 'count':
      return send({ id: m.id, ok: true, result: await store.countClientsCapped(m.args.filter, m.args.cap) });
    case 'walk':
      return send({ id: m.id, ok: true, result: (await store.walkClients(m.args.req)).items });
  }
}

port.on('message', (m: HeavyRequest) => {
  handle(m).catch((err: unknown) => send({ id: m.id, ok: false, message: err instanceof Error ? err.message : String(err) }));
});
