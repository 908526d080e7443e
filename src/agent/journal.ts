// The journal makes the multi-step file operations (stage, apply, rollback) crash-safe.
// Each operation is a plan of steps; every step is one rename or one removal that can be re-run safely, or one
// "work" step (extraction) whose output lives in a scratch folder. Before a step starts, the journal records it.
// Killed at any point, the next start reads the journal and either finishes the plan (every rename is checked
// against what is on disk) or, when the kill hit a work step or an undo, removes the scratch output and undoes the
// renames already made. The install folder is therefore always a complete version.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { crashPoint } from './crash';
import { exists, fsyncDir, readJsonFile, removeTree, writeFileAtomic } from './files';

export type Step =
  | { name: string; kind: 'work'; scratch: string }
  | { name: string; kind: 'rename'; from: string; to: string; replace?: boolean }
  | { name: string; kind: 'remove'; path: string; bestEffort?: boolean };

export type OpName = 'stage' | 'apply' | 'rollback';

export interface JournalRecord {
  op: OpName;
  /** What the finishing code needs (versions, hashes); plain values only. */
  meta: Record<string, string | number | boolean | null>;
  steps: Step[];
  /** The step in progress; steps.length once every step is done and only finishing remains. */
  index: number;
  mode: 'forward' | 'undo';
  startedAt: string;
  pid: number;
}

export class Journal {
  readonly path: string;
  constructor(stateDir: string) {
    this.path = join(stateDir, 'journal.json');
  }
  async read(): Promise<JournalRecord | undefined> {
    return readJsonFile<JournalRecord>(this.path);
  }
  async write(r: JournalRecord): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(r, null, 2) + '\n');
  }
  async clear(): Promise<void> {
    await fsp.rm(this.path, { force: true });
  }
}

export function newRecord(op: OpName, steps: Step[], meta: JournalRecord['meta']): JournalRecord {
  return { op, meta, steps, index: 0, mode: 'forward', startedAt: new Date().toISOString(), pid: process.pid };
}

/** Names of every step a plan can be killed at, for tests: "<step>", "after:<step>" and "<op>-finalize". */
export function crashPointsOf(r: Pick<JournalRecord, 'op' | 'steps'>): string[] {
  return [...r.steps.flatMap((s) => [s.name, `after:${s.name}`]), `${r.op}-finalize`];
}

async function forward(step: Step, work?: (step: Step) => Promise<void>): Promise<void> {
  switch (step.kind) {
    case 'rename':
      // Already done (from gone, to present) or nothing to move (from never existed): both are fine to skip.
      if (!(await exists(step.from))) return;
      if (await exists(step.to)) {
        if (!step.replace) throw new Error(`${step.to} is in the way of renaming ${step.from}`);
        await removeTree(step.to);
      }
      await fsp.rename(step.from, step.to);
      // The rename is on disk before the journal moves on to the next step.
      await fsyncDir(dirname(step.to));
      return;
    case 'remove':
      try {
        await removeTree(step.path);
      } catch (e) {
        if (!step.bestEffort) throw e;
      }
      return;
    case 'work':
      if (!work) throw new Error(`The step "${step.name}" cannot be resumed after a restart`);
      await work(step);
      return;
  }
}

async function backward(step: Step): Promise<void> {
  switch (step.kind) {
    case 'rename':
      if ((await exists(step.to)) && !(await exists(step.from))) {
        await fsp.rename(step.to, step.from);
        await fsyncDir(dirname(step.from));
      }
      return;
    case 'remove':
      return; // only discardable things are removed by a plan
    case 'work':
      await removeTree(step.scratch);
      return;
  }
}

/** Undo steps index..0 (the failed or interrupted one first), then forget the plan. */
export async function undoPlan(journal: Journal, r: JournalRecord, from: number): Promise<void> {
  r.mode = 'undo';
  for (let i = Math.min(from, r.steps.length - 1); i >= 0; i--) {
    r.index = i;
    await journal.write(r);
    await backward(r.steps[i]);
  }
  await journal.clear();
}

/**
 * Run the plan from r.index. On an error the steps done so far are undone and the error is rethrown.
 * On success the journal stays at index = steps.length: the caller finishes (state, report) and then clears it.
 */
export async function executePlan(journal: Journal, r: JournalRecord, work?: (step: Step) => Promise<void>): Promise<void> {
  for (let i = r.index; i < r.steps.length; i++) {
    const step = r.steps[i];
    r.index = i;
    await journal.write(r);
    crashPoint(step.name);
    try {
      await forward(step, work);
    } catch (e) {
      try {
        await undoPlan(journal, r, i);
      } catch {
        // The journal still says undo: the next start finishes undoing.
      }
      throw e;
    }
    crashPoint(`after:${step.name}`);
  }
  r.index = r.steps.length;
  await journal.write(r);
  crashPoint(`${r.op}-finalize`);
}

export type RecoveryOutcome = 'finished' | 'undone';

/**
 * After a restart: a plan killed in a work step or while undoing is undone; otherwise its remaining steps run.
 * 'finished' means the caller must run the operation's finishing code, then clear the journal.
 */
export async function recoverPlan(journal: Journal, r: JournalRecord): Promise<RecoveryOutcome> {
  if (r.mode === 'undo' || (r.index < r.steps.length && r.steps[r.index].kind === 'work')) {
    await undoPlan(journal, r, r.index);
    return 'undone';
  }
  await executePlan(journal, r);
  return 'finished';
}
