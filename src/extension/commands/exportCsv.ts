// Export Client Report (CSV)… / Export Failed Upgrades (CSV)…: the server streams the CSV, we write it to disk.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import type { ClientState } from '../../core/types';
import { defaultReportName } from '../presentation';
import { requireClient, type FleetServices } from '../services';

/** Write a stream to a file URI: straight to disk for file:, through workspace.fs otherwise. */
export async function writeStreamTo(uri: vscode.Uri, stream: Readable, onBytes?: (n: number) => void): Promise<number> {
  let bytes = 0;
  stream.on('data', (c: Buffer) => {
    bytes += c.length;
    onBytes?.(bytes);
  });
  if (uri.scheme === 'file') {
    await pipeline(stream, createWriteStream(uri.fsPath));
  } else {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    await vscode.workspace.fs.writeFile(uri, Buffer.concat(chunks));
  }
  return bytes;
}

/** Ask where, download, write. Returns the file path, or null when the person cancelled. */
export async function exportClientsCsv(svc: FleetServices, state?: ClientState | ''): Promise<string | null> {
  const client = requireClient(svc);
  const target = await svc.ui.saveDialog({
    title: state === 'failed' ? 'Export Failed Upgrades (CSV)' : 'Export Client Report (CSV)',
    defaultFileName: defaultReportName(state),
    filters: { 'CSV files': ['csv'] },
  });
  if (!target) return null;
  const bytes = await svc.ui.progress(state === 'failed' ? 'Exporting failed upgrades…' : 'Exporting the client report…', async (report) => {
    const stream = await client.clientsCsv(state || undefined);
    return writeStreamTo(target, stream, (n) => report(n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`));
  });
  const where = target.scheme === 'file' ? target.fsPath : target.toString();
  svc.log.info(`Exported ${state || 'all'} clients as CSV to ${where} (${bytes} bytes).`);
  svc.ui.info(`Saved the ${state === 'failed' ? 'failed upgrades' : 'client report'} to ${where}.`);
  return where;
}
