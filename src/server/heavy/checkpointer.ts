// The WAL's checkpoints, on the heavy-read worker's thread: neither the server's connection nor its writer thread
// checkpoints (a checkpoint copies pages and syncs files: milliseconds that would stop every request, or every
// write).
//
// A PASSIVE checkpoint copies what it can without blocking anyone. While writes go on it never reaches the end of
// the log, and SQLite syncs the database file only in a checkpoint that does — so the log is never started again
// from its beginning, and the RESTART that must end it (it holds writers off until it has copied the rest, synced,
// and seen every reader leave the log) used to flush a few seconds of copied pages at once: 100–250 ms without a
// single check-in written. Here each PASSIVE is followed by a sync of the database file off everyone's path, and
// before a RESTART PASSIVEs repeat until few pages are left to copy: the writers wait ~10–30 ms. The writer thread
// waits at a gate meanwhile (store/restartGate.ts), so a RESTART finds its moment even when writes never pause.
import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { holdingGate, openGate } from '../store/restartGate';

/** By default the log is started again once it holds more than this many pages (4 KiB each). */
const RESTART_ABOVE_FRAMES = 8_192;
/** Before a RESTART, PASSIVEs repeat (at most this many times) until one copies fewer pages than the next line. */
const CATCH_UP_ROUNDS = 4;
const FEW_FRAMES = 256;

interface CheckpointResult {
  busy: number;
  /** Pages in the log. */
  log: number;
  /** Pages of the log copied into the database file. */
  checkpointed: number;
}

export class Checkpointer {
  private readonly db: BetterSqlite3.Database;
  /** The database file, read-only: syncing it flushes what the checkpoints wrote through SQLite's own descriptor. */
  private readonly file: number;
  private timer: NodeJS.Timeout | null = null;

  private readonly gate?: Int32Array;
  private readonly restartAboveFrames: number;

  /**
   * `busyReading`: a statement of this thread holds a snapshot (an export): a RESTART would wait for it, so none is
   * tried. `gate`: the writer thread's restart gate. `restartAboveFrames`: the log's size, in pages, from which it
   * is started again.
   */
  constructor(
    Database: typeof BetterSqlite3,
    sqliteFile: string,
    private readonly everyMs: number,
    private readonly busyReading: () => boolean,
    opts: { gate?: SharedArrayBuffer; restartAboveFrames?: number } = {},
  ) {
    this.gate = opts.gate ? new Int32Array(opts.gate) : undefined;
    // A worker that stopped during a RESTART left the gate held: the writer would wait at it before every write.
    if (this.gate) openGate(this.gate);
    this.restartAboveFrames = opts.restartAboveFrames ?? RESTART_ABOVE_FRAMES;
    this.db = new Database(sqliteFile);
    // A RESTART waits this long at most for the writer's transaction and for readers; else the next round.
    this.db.pragma('busy_timeout = 20');
    this.file = openSync(sqliteFile, 'r');
  }

  start(): void {
    // A timeout after each round, not an interval: a round can take longer than the period.
    const tick = () => {
      try {
        this.round();
      } catch { /* busy or a transient I/O error: the next round */ }
      this.timer = setTimeout(tick, this.everyMs);
    };
    this.timer = setTimeout(tick, this.everyMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.db.close();
    closeSync(this.file);
  }

  private passive(): CheckpointResult {
    const [r] = this.db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    fdatasyncSync(this.file);
    return r;
  }

  /** One round: a PASSIVE and the file's sync; a RESTART when the log has grown past its bound. */
  round(): void {
    let r = this.passive();
    if (r.log <= this.restartAboveFrames || this.busyReading()) return;
    for (let i = 0; i < CATCH_UP_ROUNDS; i++) {
      const before = r.checkpointed;
      r = this.passive();
      if (r.checkpointed - before < FEW_FRAMES) break;
    }
    holdingGate(this.gate, () => this.db.pragma('wal_checkpoint(RESTART)'));
  }
}
