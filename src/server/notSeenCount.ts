// Clients not seen: no check-in for notSeenDays. Time-based — a client becomes not seen without any write — so no
// trigger can keep it. The heavy-read worker counts them per counts key (one GROUP BY over clients whose last
// check-in is older than the cut-off, off the event loop) at start and every few minutes; a check-in from one of
// them takes it out at once, a move carries it to its new group. A check-in therefore writes nothing more than
// before (a day bucket of last_seen in the counts key would add a counts write to every client's first check-in of
// each day), and a client that has just gone quiet is counted at the next round: minutes against days.
import { notSeenCutoff, type Client, type CountRow } from '../core';
import type { HeavyReads } from './heavy/heavyReads';

/** The count is taken again this often (a scan, on the worker). */
const REFRESH_MS = 5 * 60_000;

const sameKey = (r: CountRow, c: Pick<Client, 'groupId' | 'version' | 'state' | 'targetVersion'>): boolean =>
  r.groupId === c.groupId && r.version === c.version && r.state === c.state && r.targetVersion === c.targetVersion;

export class NotSeenCount {
  /** As the worker last counted them (minus those seen again since), with the cut-off it counted at. */
  private last: { cutoff: string; rows: CountRow[] } | null = null;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly heavy: HeavyReads,
    private readonly now: () => Date,
    readonly days: number,
    private readonly refreshMs = REFRESH_MS,
  ) {}

  /** Count now; then again every refreshMs. */
  refresh(): Promise<void> {
    this.loading ??= (async () => {
      const cutoff = notSeenCutoff(this.now(), this.days).toISOString();
      this.last = { cutoff, rows: await this.heavy.notSeen(cutoff) };
    })().finally(() => {
      this.loading = null;
      this.schedule();
    });
    return this.loading;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => { /* the next round */ }), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The last count. Never waits for the worker: until its first count (moments after the server starts; a second or
   * so at a million clients) every client counts as seen, and the summary stays a read of a few hundred rows.
   */
  rows(): CountRow[] {
    if (!this.last && !this.loading) void this.refresh().catch(() => { /* the next round */ });
    return this.last?.rows ?? [];
  }

  private counted(before: Client | undefined): before is Client {
    return !!before && !!this.last && before.lastSeen < this.last.cutoff;
  }

  /** A client checked in or reported: if the last count had it, it is seen again. `before` is its row as it was. */
  touched(before: Client | undefined): void {
    if (!this.counted(before)) return;
    const row = this.last!.rows.find((r) => sameKey(r, before));
    if (row && row.count > 0) row.count--;
  }

  /** A client was moved: if the last count had it, it stays not seen, in its new group. */
  moved(before: Client, groupId: string): void {
    if (!this.counted(before)) return;
    this.touched(before);
    const now = { ...before, groupId };
    const row = this.last!.rows.find((r) => sameKey(r, now));
    if (row) row.count++;
    else this.last!.rows.push({ groupId, version: now.version, state: now.state, targetVersion: now.targetVersion, count: 1 });
  }
}
