// Pure words and rules of the console for issue 11: the approve dialog (package, test downloads), file names,
// the rollback target's state, roles, offline, "Rolling back", the audit view's lines and policy diffs, the
// pinned-version warning, signature files and version input.
import assert from 'node:assert/strict';
import { withPolicyDefaults } from '../../src/core/policy';
import type { AuditEntry } from '../../src/core/types';
import type { ReleaseView } from '../../src/core/wire';
import { auditDetails, auditTitle, describeFilter, policyDiff } from '../../src/extension/auditText';
import { pinnedWarning } from '../../src/extension/policyText';
import { clientStateText, offlineStatusView, roleAllows, roleRefusal, signedInAs, statusBarView } from '../../src/extension/presentation';
import { approvalDetail, packageFileName, rollbackTargetNote, signatureFromFile, validateVersionInput } from '../../src/extension/releaseText';
import { summarize } from '../../src/core';

const release = (over: Partial<ReleaseView> = {}): ReleaseView => ({
  id: 'r-1', version: '3.60.0.0', channel: 'stable', notes: '', mandatory: false, artifact: {}, state: 'pending',
  createdAt: '2026-01-01T00:00:00Z', createdBy: 'admin', transitions: [], clientCount: 0, ...over,
});
const entry = (over: Partial<AuditEntry>): AuditEntry => ({ id: 1, at: '2026-01-01T10:00:00Z', actor: 'admin', action: 'release.approve', target: '3.60.0.0', details: '{}', ...over });

describe('extension/console words (issue 11)', () => {
  it('the approve dialog names the package and who downloaded it for testing, and when', () => {
    const now = new Date('2026-01-01T10:05:00Z');
    const r = release({ artifact: { sha256: 'ab'.repeat(32), size: 12345, url: '/agent/v1/artifacts/x' } });
    const text = approvalDetail(r, [entry({ actor: 'tester', action: 'release.download' }), entry({ actor: 'ops', action: 'release.download' })], now);
    assert.match(text, /^Package: 12,345 bytes, sha256 abababababab…\./);
    assert.match(text, /Downloaded for testing by tester, 5 minutes ago .*; also by ops\./);
    const untested = approvalDetail(release(), [], now);
    assert.match(untested, /No package has been uploaded/);
    assert.match(untested, /Nobody has downloaded this package for testing yet\./);
  });

  it('packages are saved as .tar.gz, never .pkg', () => {
    assert.equal(packageFileName(release({ artifact: { url: '/agent/v1/artifacts/abc' } })), 'update-fleet-3.60.0.0.tar.gz');
    assert.equal(packageFileName(release({ artifact: { url: 'https://cdn.example/app-3.60.tgz' } })), 'app-3.60.tgz');
    assert.equal(packageFileName(release({ version: '4.0.0-beta.1+build/7' })), 'update-fleet-4.0.0-beta.1_build_7.tar.gz');
  });

  it('the rollback dialog names the target\'s state; a retired one is revived only knowingly', () => {
    assert.match(rollbackTargetNote({ version: '3.58.0.0', state: 'retired' })!, /no longer supported \(retired\)\. Rolling back to it approves it again/);
    assert.match(rollbackTargetNote({ version: '3.59.0.0', state: 'approved' })!, /is approved/);
    assert.equal(rollbackTargetNote(undefined), undefined);
  });

  it('roles: viewer < operator < admin; the refusal names the role before any dialog', () => {
    assert.equal(roleAllows({ name: 'v', role: 'viewer' }, 'operator'), false);
    assert.equal(roleAllows({ name: 'o', role: 'operator' }, 'operator'), true);
    assert.equal(roleAllows({ name: 'o', role: 'operator' }, 'admin'), false);
    assert.equal(roleAllows(undefined, 'admin'), true, 'a server without whoami decides itself');
    assert.equal(roleRefusal('Approving a release', { name: 'auditor', role: 'viewer' }, 'operator'),
      'Approving a release needs the operator role; you are signed in as auditor with the viewer role. Ask an operator or sign in with another token.');
    assert.match(signedInAs({ name: 'auditor', role: 'viewer' }), /^Signed in as auditor \(viewer: may look, not act\)$/);
    const v = statusBarView(summarize([{ groupId: 'g', state: 'up-to-date', version: '1', targetVersion: null, count: 1, health: 'up-to-date' }]), 5, { name: 'auditor', role: 'viewer' });
    assert.match(v.tooltip, /Signed in as auditor \(viewer/);
  });

  it('offline: the status bar says so and that it reconnects by itself', () => {
    const v = offlineStatusView('http://127.0.0.1:7780', 'connection refused');
    assert.equal(v.text, '$(debug-disconnect) Update Fleet: offline');
    assert.match(v.tooltip, /reconnects by itself/);
  });

  it('a rollback on its way reads "Rolling back", not "Update available"', () => {
    assert.equal(clientStateText({ state: 'available', version: '3.59.228.0', targetVersion: '3.59.127.0' }), 'Rolling back');
    assert.equal(clientStateText({ state: 'downloading', version: '3.59.228.0', targetVersion: '3.59.127.0' }), 'Rolling back: downloading');
    assert.equal(clientStateText({ state: 'available', version: '3.59.127.0', targetVersion: '3.59.228.0' }), 'Update available');
    assert.equal(clientStateText({ state: 'failed', version: '3.59.228.0', targetVersion: '3.59.127.0' }), 'Failed');
  });

  it('a client stored "up to date" that is not current today says what it is (health from the server)', () => {
    assert.equal(clientStateText({ state: 'up-to-date', version: '3.58.0.0', targetVersion: null, health: 'behind' }), 'Behind');
    assert.equal(clientStateText({ state: 'up-to-date', version: '3.59.127.0', targetVersion: '3.59.127.0', health: 'up-to-date' }), 'Up to date');
    assert.equal(clientStateText({ state: 'up-to-date', version: '1.2.2', targetVersion: null, health: 'manual-required' }), 'Manual install required');
    assert.equal(clientStateText({ state: 'failed', version: '3.58.0.0', targetVersion: '3.59.127.0', health: 'not-seen' }), 'Failed (not seen)');
    assert.equal(clientStateText({ state: 'waiting', version: '3.58.0.0', targetVersion: '3.59.127.0', health: 'waiting' }), 'Waiting');
  });

  it('audit lines: a policy edit as a field-by-field diff, a decision with its note, a move, a download', () => {
    const before = withPolicyDefaults({ mode: 'auto' });
    const after = { ...before, mode: 'pinned' as const, pinnedVersion: '3.59.127.0', remindOptionsDays: [1, 3] };
    const policy = entry({ action: 'policy.update', target: 'Office', details: JSON.stringify({ before, after }) });
    assert.equal(auditTitle(policy), 'admin changed the policy of Office');
    assert.deepEqual(auditDetails(policy), ['mode: Auto Upgrade → Only upgrade to', 'pinnedVersion: — → 3.59.127.0', `remindOptionsDays: ${before.remindOptionsDays.join(', ')} → 1, 3`]);
    assert.deepEqual(auditDetails(entry({ details: JSON.stringify({ from: 'pending', to: 'approved', note: 'tested on the bench' }) })), ['pending → approved', 'note: tested on the bench']);
    assert.deepEqual(auditDetails(entry({ action: 'client.move', target: 'PC-1', details: JSON.stringify({ from: 'default', to: 'pilot' }) })), ['from default to pilot']);
    const names: Record<string, string> = { default: 'Default', pilot: 'Pilot' };
    assert.deepEqual(auditDetails(entry({ action: 'client.move', target: 'PC-1', details: JSON.stringify({ from: 'default', to: 'pilot' }) }), (id) => names[id]), ['from Default to Pilot']);
    assert.equal(auditTitle(entry({ action: 'release.download', actor: 'tester' })), 'tester downloaded for testing 3.60.0.0');
    assert.deepEqual(policyDiff(before, before), []);
    assert.deepEqual(auditDetails(entry({ details: 'not json' })), ['not json']);
  });

  it('the audit filter in words', () => {
    const now = new Date('2026-01-02T00:00:00Z');
    assert.equal(describeFilter({}, now), '');
    assert.equal(describeFilter({ actor: 'ops', action: 'release.approve', since: '2026-01-01T00:00:00Z' }, now), 'by ops · approvals · last 24 hours');
  });

  it('a policy pinned to a revoked (or retired, or unapproved) version warns', () => {
    const versions = [{ version: '1.0.0', state: 'revoked' as const }, { version: '2.0.0', state: 'approved' as const }, { version: '0.9.0', state: 'retired' as const }];
    assert.match(pinnedWarning({ mode: 'pinned', pinnedVersion: '1.0.0' }, versions)!, /1\.0\.0 is revoked/);
    assert.match(pinnedWarning({ mode: 'pinned', pinnedVersion: '0.9.0' }, versions)!, /no longer supported/);
    assert.equal(pinnedWarning({ mode: 'pinned', pinnedVersion: '2.0.0' }, versions), undefined);
    assert.equal(pinnedWarning({ mode: 'auto', pinnedVersion: '1.0.0' }, versions), undefined);
  });

  it('publish: version input and signature files (base64 text or 64 raw bytes)', () => {
    assert.equal(validateVersionInput('4.0.0-beta.1'), undefined);
    assert.match(validateVersionInput('four')!, /not a version/);
    assert.match(validateVersionInput('  ')!, /Enter the version/);
    const raw = Buffer.alloc(64, 7);
    assert.equal(signatureFromFile(raw), raw.toString('base64'));
    assert.equal(signatureFromFile(Buffer.from(raw.toString('base64') + '\n')), raw.toString('base64'));
    assert.throws(() => signatureFromFile(Buffer.from('hello')), /neither base64/);
  });
});
