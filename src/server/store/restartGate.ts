// The restart gate: one Int32 shared by the writer thread and the checkpointer (heavy/checkpointer.ts). A RESTART
// checkpoint needs a moment with no write transaction; a writer that starts its next transaction as soon as the
// last one commits would never leave it one, and the log would grow without end. The checkpointer holds the gate
// for the few milliseconds of its RESTART; the writer waits at it before each transaction.
const OPEN = 0;
const HELD = 1;
/** The longest a writer waits: a checkpointer that stopped while holding the gate must not stop the writes. */
const MAX_WAIT_MS = 250;

/** Before a write transaction: returns at once when the gate is open. */
export function waitAtGate(gate: Int32Array): void {
  Atomics.wait(gate, 0, HELD, MAX_WAIT_MS);
}

/** Opens the gate: a new checkpointer after one that stopped while holding it (a crashed worker). */
export function openGate(gate: Int32Array): void {
  Atomics.store(gate, 0, OPEN);
  Atomics.notify(gate, 0);
}

/** Runs `f` with the writer held at the gate (once its transaction in progress has committed). */
export function holdingGate<T>(gate: Int32Array | undefined, f: () => T): T {
  if (!gate) return f();
  Atomics.store(gate, 0, HELD);
  try {
    return f();
  } finally {
    openGate(gate);
  }
}
