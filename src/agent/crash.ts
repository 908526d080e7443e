// Test-only crash injection: UPDATE_FLEET_AGENT_CRASH_AT=<step> kills the process at that journal step, the way a
// power cut or `kill -9` would (no exit handlers, no flushing), so tests can prove every step recovers.
import { writeSync } from 'node:fs';

export const CRASH_ENV = 'UPDATE_FLEET_AGENT_CRASH_AT';

export function crashPoint(step: string): void {
  if (process.env[CRASH_ENV] !== step) return;
  try {
    writeSync(2, `update-fleet-agent: crash injected at "${step}" (${CRASH_ENV})\n`);
  } catch {
    // stderr may be closed; the kill below is what matters.
  }
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is delivered asynchronously on some platforms; never run the step.
  process.exit(99);
}
