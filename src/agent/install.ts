// Getting an update into place beside the install: download (resumed), verify, stage into
// <install>_update_pending; then, by --apply-by, swap now, wait for the program's exit, or hand it to the service.
import { promises as fsp } from 'node:fs';
import { sameInstalledVersion } from '../core/agentRules';
import type { CheckinResponse } from '../core/wire';
import { loadAgentState, updateAgentState, type Consent } from './agentState';
import { downloadPackage } from './download';
import { AgentFailure, EXIT, messageOf, type ExitCode } from './errors';
import { readVersionFile } from './layout';
import type { Session } from './session';
import { stagePackage } from './stage';
import { handToService, retain, swapIn, waitForExit } from './swap';
import { verifyPackage } from './verify';

/**
 * Download (resuming a .part file), verify, stage into <install>_update_pending, and — with consent and when the
 * agent applies updates itself — swap it in. Any failure is reported with its reason; the install is untouched.
 */
export async function install(session: Session, d: CheckinResponse, installed: string, consent: Consent, byUser: boolean): Promise<ExitCode> {
  const version = d.version!;
  const mandatory = d.mandatory === true;
  try {
    const st = await loadAgentState(session.layout.state);
    const pendingVersion = await readVersionFile(session.layout.pending);
    const reuse = st.staged && pendingVersion !== undefined && sameInstalledVersion(st.staged.version, version) && sameInstalledVersion(pendingVersion, version)
      && (!d.sha256 || d.sha256.toLowerCase() === st.staged.sha256);
    if (reuse) {
      session.log.info(`${version} is already staged in ${session.layout.pending}.`);
      await updateAgentState(session.layout.state, (s) => s.staged && (s.staged.consent = consent));
    } else {
      if (!d.url) throw new AgentFailure(`The update ${version} has no package URL (is the release's artifact uploaded?)`);
      session.log.info(`Downloading ${version}${d.size !== undefined ? ` (${d.size} bytes)` : ''}…`);
      session.progress({ state: 'downloading', version: installed, targetVersion: version, progress: 0 });
      let lastStep = 0;
      const dl = await downloadPackage({
        source: session.d.source!,
        decision: d,
        dir: session.layout.downloads,
        onProgress: (_bytes, pct) => {
          // A report per quarter, not per chunk.
          if (pct !== undefined && pct >= lastStep + 25 && pct < 100) {
            lastStep = pct - (pct % 25);
            session.progress({ state: 'downloading', version: installed, targetVersion: version, progress: lastStep });
          }
        },
      });
      if (dl.resumedAt > 0) session.log.info(`Resumed the download at byte ${dl.resumedAt}.`);
      let sha256: string;
      try {
        sha256 = await verifyPackage(dl.file, { size: d.size, sha256: d.sha256, signature: d.signature }, session.d.config.publicKeyPem);
      } catch (e) {
        // Bytes that fail verification must not be reused by the next attempt.
        await fsp.rm(dl.file, { force: true });
        throw e;
      }
      session.log.info(`Verified ${version} (sha256 ${sha256}${session.d.config.publicKeyPem ? ', signature valid' : ''}); staging it in ${session.layout.pending}.`);
      await stagePackage({
        layout: session.layout, journal: session.journal, packageFile: dl.file, version, sha256, mandatory, consent,
        announcementNamesVersion: session.d.source?.announcementNamesVersion === true,
      });
      await retain(session);
      await session.remember((s) => delete s.lastFailure);
      const why = consent === 'ask'
        ? `Downloaded and staged ${version}; the user chose to install later (asked again at the next start)`
        : `Staged ${version} in ${session.layout.pending}`;
      await session.send({ state: 'staged', version: installed, targetVersion: version, progress: 100, reason: why });
    }
    if (consent !== 'granted') {
      session.log.info(`${version} is staged; the user is asked again at the next start.`);
      return EXIT.ok;
    }
    if (session.d.config.applyBy === 'service') return handToService(session, version);
    if (!session.swapsNow) return await waitForExit(session, version, byUser);
    return (await swapIn(session, version)).code;
  } catch (e) {
    const reason = e instanceof AgentFailure ? e.message : `Unexpected error: ${messageOf(e)}`;
    session.log.error(`The update to ${version} failed: ${reason}. ${installed} stays installed.`);
    await session.rememberFailure(version, reason);
    await session.send({ state: 'failed', version: installed, targetVersion: version, reason });
    return EXIT.failure;
  }
}
