// Staging: extract the verified package into "<install>_update_pending" beside the install (seed 002), never into
// the install itself. Extraction goes to a ".partial" folder that is renamed only when complete, so a staged folder
// is always whole. Paths come from a downloaded file, so nothing is trusted: absolute names, "..", links that point
// outside and device files are refused before anything is written, and the result is checked again afterwards.
// Links are resolved as the file system would, step by step through other links (src/core/packageLinks.ts).
// The staged tree is flushed to disk before the rename that commits it.
import { promises as fsp } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import * as tar from 'tar';
import { updateAgentState, type Consent } from './agentState';
import { crashPoint } from './crash';
import { AgentFailure, errnoCode, fsFailure, messageOf } from './errors';
import { executePlan, newRecord, type Journal, type JournalRecord, type Step } from './journal';
import { readVersionFile, VERSION_FILE, type Layout } from './layout';
import { compareVersions, isValidVersion } from '../core/version';
import { linkLeavingPackage } from '../core/packageLinks';
import { syncTree } from './files';

const REFUSED_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);

/** Why an archive entry is unsafe, or undefined when it is fine. Exported for tests. */
export function unsafeEntry(path: string, type: string, linkpath?: string): string | undefined {
  if (path.includes('\\')) return `"${path}" contains a backslash`;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `"${path}" is an absolute path`;
  if (path.split('/').includes('..')) return `"${path}" climbs out with ".."`;
  if (REFUSED_TYPES.has(type)) return `"${path}" is a ${type}, not a file or folder`;
  if (type === 'SymbolicLink' || type === 'Link') {
    const target = linkpath ?? '';
    if (target === '' || target.startsWith('/') || /^[A-Za-z]:/.test(target) || target.includes('\\')) {
      return `the link "${path}" points to "${target}", outside the package`;
    }
    // Symbolic links resolve from their own folder, hard links from the archive root.
    const resolved = posix.normalize(type === 'SymbolicLink' ? posix.join(posix.dirname(path), target) : target);
    if (resolved === '..' || resolved.startsWith('../')) return `the link "${path}" points to "${target}", outside the package`;
  }
  return undefined;
}

/** Read the whole archive once, writing nothing, and refuse it if any entry is unsafe. */
export async function scanPackage(file: string): Promise<{ entries: number; hasVersionFile: boolean }> {
  let entries = 0;
  let hasVersionFile = false;
  let problem: string | undefined;
  const symlinks = new Map<string, string>();
  const hardlinks = new Map<string, string>();
  const clean = (p: string) => posix.normalize(p).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (e) => {
        entries++;
        const p = e.path.replace(/^\.\//, '');
        if (p === VERSION_FILE && (e.type === 'File' || e.type === 'OldFile')) hasVersionFile = true;
        problem ??= unsafeEntry(e.path, e.type, e.linkpath);
        if (e.type === 'SymbolicLink') symlinks.set(clean(e.path), e.linkpath ?? '');
        else if (e.type === 'Link') hardlinks.set(clean(e.path), clean(e.linkpath ?? ''));
      },
    });
  } catch (e) {
    throw new AgentFailure(`Extraction failed: the package is not a readable tar archive (${messageOf(e)})`, { cause: e });
  }
  problem ??= linkLeavingPackage(symlinks, hardlinks);
  if (problem) throw new AgentFailure(`Extraction failed: the package is refused because ${problem}`);
  if (entries === 0) throw new AgentFailure('Extraction failed: the package is an empty archive');
  return { entries, hasVersionFile };
}

/** Every link of the extracted tree, resolved through the real tree's links, must stay under root. */
async function assertContained(root: string): Promise<void> {
  const realRoot = await fsp.realpath(root);
  const links = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isSymbolicLink()) {
        links.set(relative(realRoot, p).split('\\').join('/'), await fsp.readlink(p));
      } else if (d.isDirectory()) {
        await walk(p);
      } else if (!d.isFile()) {
        throw new AgentFailure(`Extraction failed: ${relative(root, p)} is not a file, folder or link`);
      }
    }
  };
  await walk(realRoot);
  const problem = linkLeavingPackage(links);
  if (problem) throw new AgentFailure(`Extraction failed: the package is refused because ${problem}`);
}

/** Extract into an empty dest; strict, no absolute paths, no owners from the archive. */
export async function extractSafely(file: string, dest: string): Promise<void> {
  await fsp.mkdir(dest, { recursive: true });
  let files = 0;
  let refused: string | undefined;
  try {
    await tar.x({
      file,
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (path, entry) => {
        const type = (entry as tar.ReadEntry).type ?? 'File';
        const why = unsafeEntry(path, type, (entry as tar.ReadEntry).linkpath);
        if (why) {
          refused ??= why;
          return false;
        }
        // Test hook: a kill in the middle of writing files (the second file is about to be written).
        if (type === 'File' && ++files === 2) crashPoint('during:extract');
        return true;
      },
    });
  } catch (e) {
    if (errnoCode(e) && ['ENOSPC', 'EACCES', 'EPERM', 'EDQUOT', 'EROFS'].includes(errnoCode(e)!)) throw e;
    throw new AgentFailure(`Extraction failed: ${messageOf(e)}`, { cause: e });
  }
  if (refused) throw new AgentFailure(`Extraction failed: the package is refused because ${refused}`);
  await assertContained(dest);
}

function differentVersions(a: string, b: string): boolean {
  if (isValidVersion(a) && isValidVersion(b)) return compareVersions(a, b) !== 0;
  return a.trim() !== b.trim();
}

export interface StageRequest {
  layout: Layout;
  journal: Journal;
  packageFile: string;
  version: string;
  sha256: string;
  mandatory: boolean;
  consent: Consent;
  /**
   * The announcement names the version (seed 002's share: raising <Current> in version_info.xml reinstalls the same
   * package as the new version): VERSION is written with the announced version instead of being compared.
   */
  announcementNamesVersion?: boolean;
}

export function stageSteps(layout: Layout): Step[] {
  return [
    { name: 'extract', kind: 'work', scratch: layout.partial },
    { name: 'discard-pending', kind: 'remove', path: layout.pending },
    { name: 'commit-pending', kind: 'rename', from: layout.partial, to: layout.pending },
  ];
}

/** Record the staged update in the state file. Safe to run twice (recovery may repeat it). */
export async function finishStage(layout: Layout, r: JournalRecord): Promise<void> {
  const m = r.meta;
  await updateAgentState(layout.state, (s) => {
    s.staged = {
      version: String(m.version),
      sha256: String(m.sha256),
      packageFile: String(m.packageFile),
      mandatory: m.mandatory === true,
      consent: (m.consent as Consent) ?? 'ask',
      stagedAt: new Date().toISOString(),
    };
  });
}

/** Extract, check, then swap the partial folder into "<install>_update_pending". Returns the staged version. */
export async function stagePackage(req: StageRequest): Promise<string> {
  const { layout, journal } = req;
  await scanPackage(req.packageFile);
  const record = newRecord('stage', stageSteps(layout), {
    version: req.version,
    sha256: req.sha256,
    packageFile: req.packageFile,
    mandatory: req.mandatory,
    consent: req.consent,
  });
  try {
    await executePlan(journal, record, async () => {
      await fsp.rm(layout.partial, { recursive: true, force: true });
      await extractSafely(req.packageFile, layout.partial);
      const inPackage = await readVersionFile(layout.partial);
      if (inPackage === undefined || (req.announcementNamesVersion && differentVersions(inPackage, req.version))) {
        // Packages without a VERSION file get the version the update was announced with.
        // Removed first: a VERSION that is a link must not be written through.
        await fsp.rm(join(layout.partial, VERSION_FILE), { force: true });
        await fsp.writeFile(join(layout.partial, VERSION_FILE), `${req.version}\n`);
      } else if (differentVersions(inPackage, req.version)) {
        throw new AgentFailure(`Package mismatch: its ${VERSION_FILE} file says ${inPackage}, but the update is ${req.version}`);
      }
      await syncTree(layout.partial);
    });
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EACCES' || code === 'EPERM') {
      const path = (e as NodeJS.ErrnoException).path ?? layout.partial;
      throw new AgentFailure(`Permission denied writing ${path}: the agent needs write access to ${dirname(layout.install)}, the folder that holds the install`, { cause: e });
    }
    throw fsFailure(e, 'staging the update in', layout.pending);
  }
  await finishStage(layout, record);
  await journal.clear();
  return req.version;
}
