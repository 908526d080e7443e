// The heavy-read worker's checkpoints (heavy/checkpointer.ts) on a real database file written by another
// connection, as the writer thread writes it: every round copies the log into the database file, the log is started
// again from its beginning (it stops growing) even while writes go on, and a reader's open snapshot is never cut.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { Checkpointer } from '../../src/server/heavy/checkpointer';
import { compileOnOwnThread } from '../../src/server/threads';

const PAGE = 4096;
/** A row of this many characters fills a page of its own. */
const ROW = 'x'.repeat(3000);

describe('WAL checkpointer', function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  let writer: BetterSqlite3.Database;
  let next = 0;
  const walBytes = () => statSync(`${file}-wal`).size;
  const rows = (db: BetterSqlite3.Database) => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  const write = (n: number) => {
    const insert = writer.prepare('INSERT INTO t (id, body) VALUES (?, ?)');
    writer.transaction(() => { for (let i = 0; i < n; i++) insert.run(next++, ROW); })();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uf-ckpt-'));
    file = join(dir, 'fleet.db');
    writer = new BetterSqlite3(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('synchronous = NORMAL');
    // As the writer thread: it never checkpoints by itself.
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    next = 0;
  });
  afterEach(() => {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the log into the database file, and the next writes start the log from its beginning', () => {
    const checkpointer = new Checkpointer(BetterSqlite3, file, 1_000, () => false, { restartAboveFrames: 200 });
    try {
      write(300);
      const db = statSync(file).size;
      const wal = walBytes();
      assert.ok(wal >= 300 * PAGE);
      checkpointer.round();
      assert.ok(statSync(file).size >= db + 300 * PAGE, 'the rows are in the database file');
      write(100);
      assert.equal(walBytes(), wal, 'written over the log\'s first pages, not appended');
      assert.equal(rows(writer), 400);
    } finally {
      checkpointer.stop();
    }
  });

  it('keeps the log bounded while another thread writes without a pause, waiting at the restart gate', async () => {
    // The writer thread at full load: transactions back to back, each holding the write lock for a few milliseconds
    // (a batch of check-ins) and writing a few pages, never a checkpoint of its own, the gate before each — the
    // same function as writerWorker.ts. Without the gate, a RESTART almost never finds the lock free.
    const code = `
      require('tsx/cjs');
      const { parentPort, workerData } = require('node:worker_threads');
      const { waitAtGate } = require(${JSON.stringify(join(__dirname, '../../src/server/store/restartGate.ts'))});
      const gate = new Int32Array(workerData.gate);
      const db = new (require('better-sqlite3'))(workerData.file);
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 0');
      db.pragma('busy_timeout = 5000');
      // A log started again is cut back to nothing at its next commit: the file's size is the log's.
      db.pragma('journal_size_limit = 0');
      const update = db.prepare('UPDATE t SET body = ? WHERE id = ?');
      let n = 0;
      const end = Date.now() + workerData.ms;
      while (Date.now() < end) {
        waitAtGate(gate);
        db.transaction(() => {
          update.run('y'.repeat(2000) + n, n % 200);
          for (const t = Date.now() + 2; Date.now() < t;);
        }).immediate();
        n++;
      }
      parentPort.postMessage(n);
      db.close();`;
    write(200);
    const gate = new SharedArrayBuffer(4);
    const checkpointer = new Checkpointer(BetterSqlite3, file, 1_000, () => false, { gate, restartAboveFrames: 400 });
    checkpointer.round();
    compileOnOwnThread(); // as the server's threads (threads.ts)
    const thread = new Worker(code, { eval: true, workerData: { file, gate, ms: 2_000 } });
    const written = new Promise<number>((resolve, reject) => { thread.once('message', resolve); thread.once('error', reject); });
    let done = false;
    void written.then(() => { done = true; }, () => { done = true; });
    let peak = 0;
    try {
      while (!done) {
        checkpointer.round();
        peak = Math.max(peak, walBytes());
        await new Promise((r) => setTimeout(r, 20));
      }
      const n = await written;
      // Each transaction writes a page or two: without restarts the log would hold them all.
      assert.ok(n > 2 * 400, `enough transactions to need restarts (${n})`);
      assert.ok(peak < n * PAGE / 2, `log peak ${peak} bytes for ${n} transactions`);
      assert.equal(rows(writer), 200);
      const last = writer.prepare('SELECT body FROM t WHERE id = ?').get((n - 1) % 200) as { body: string };
      assert.equal(last.body, 'y'.repeat(2000) + (n - 1), 'the last write is there');
    } finally {
      checkpointer.stop();
    }
  });

  it('never starts the log again under an open snapshot: waits briefly, fails nothing, restarts in a later round', () => {
    let exporting = false;
    const checkpointer = new Checkpointer(BetterSqlite3, file, 1_000, () => exporting, { restartAboveFrames: 200 });
    const reader = new BetterSqlite3(file, { readonly: true });
    try {
      write(300);
      // A read transaction begun before the copy reads the log's pages: the log must outlive it.
      reader.exec('BEGIN');
      assert.equal(rows(reader), 300);
      const t0 = Date.now();
      checkpointer.round();
      assert.ok(Date.now() - t0 < 2_000, 'the round did not wait for the reader');
      const wal = walBytes();
      write(100);
      assert.ok(walBytes() > wal, 'appended: the reader still holds the log');
      assert.equal(rows(reader), 300, 'the reader still sees its snapshot');
      reader.exec('COMMIT');
      // This thread's own export holds a snapshot: no RESTART is tried, the log is still copied.
      exporting = true;
      checkpointer.round();
      exporting = false;
      checkpointer.round();
      const after = walBytes();
      write(100);
      assert.equal(walBytes(), after, 'the log started again once nobody read it');
      assert.equal(rows(reader), 500);
    } finally {
      reader.close();
      checkpointer.stop();
    }
  });

  it('opens a gate left held by a checkpointer that stopped during a RESTART', () => {
    const gate = new SharedArrayBuffer(4);
    Atomics.store(new Int32Array(gate), 0, 1);
    const checkpointer = new Checkpointer(BetterSqlite3, file, 1_000, () => false, { gate });
    try {
      assert.equal(Atomics.load(new Int32Array(gate), 0), 0);
    } finally {
      checkpointer.stop();
    }
  });
});
