// A thread that classes one half of a large group for the policy preview (previewClasses.ts), and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { classRows, tallyFor, type PreviewPart } from './previewClasses';

const part = workerData as PreviewPart;
try {
  parentPort!.postMessage({ rows: classRows(part.sqliteFile, part.args, tallyFor(part.args), part) });
} catch (err) {
  parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
