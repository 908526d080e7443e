// Every command id in one place (package.json contributes the same ids, titles and category "Update Fleet").
import * as vscode from 'vscode';
import type { FleetServices } from '../services';
import { editPolicy, exportClientReport, exportFailedUpgrades, moveClient, showClientStatus } from './clientCommands';
import { connect, signIn, signOut } from './connectionCommands';
import { approveRelease, downloadRelease, retireRelease, revokeRelease } from './releaseCommands';
import { rollbackRelease } from './rollback';
import { pauseRollout, resumeRollout } from './rolloutCommands';
import { editRelease, publishRelease } from './publish';
import { filterAudit } from './auditCommands';
import { setMinimumVersion } from './minimumVersion';
import { register } from './run';
import { admitClient, decommissionClient, rotateEnrollmentToken } from './admissionCommands';

export const COMMANDS = {
  connect: 'updateFleet.connect',
  signIn: 'updateFleet.signIn',
  signOut: 'updateFleet.signOut',
  refresh: 'updateFleet.refresh',
  approveRelease: 'updateFleet.approveRelease',
  revokeRelease: 'updateFleet.revokeRelease',
  rollbackRelease: 'updateFleet.rollbackRelease',
  retireRelease: 'updateFleet.retireRelease',
  downloadRelease: 'updateFleet.downloadRelease',
  editPolicy: 'updateFleet.editPolicy',
  showClientStatus: 'updateFleet.showClientStatus',
  exportClientReport: 'updateFleet.exportClientReport',
  exportFailedUpgrades: 'updateFleet.exportFailedUpgrades',
  moveClient: 'updateFleet.moveClient',
  loadMoreClients: 'updateFleet.loadMoreClients',
  showLog: 'updateFleet.showLog',
  publishRelease: 'updateFleet.publishRelease',
  editRelease: 'updateFleet.editRelease',
  filterAudit: 'updateFleet.filterAudit',
  clearAuditFilter: 'updateFleet.clearAuditFilter',
  pauseRollout: 'updateFleet.pauseRollout',
  resumeRollout: 'updateFleet.resumeRollout',
  acceptClient: 'updateFleet.acceptClient',
  rejectClient: 'updateFleet.rejectClient',
  decommissionClient: 'updateFleet.decommissionClient',
  rotateEnrollmentToken: 'updateFleet.rotateEnrollmentToken',
  setMinimumVersion: 'updateFleet.setMinimumVersion',
} as const;

export function registerCommands(svc: FleetServices): vscode.Disposable[] {
  return [
    register(svc, COMMANDS.connect, 'Connect to Server', (url?: string) => connect(svc, url)),
    register(svc, COMMANDS.signIn, 'Sign In', (token?: string) => signIn(svc, token)),
    register(svc, COMMANDS.signOut, 'Sign Out', () => signOut(svc)),
    register(svc, COMMANDS.refresh, 'Refresh', async () => {
      const s = await svc.connection.refresh();
      svc.groupsTree.reset();
      if (s.kind === 'signed-in') await Promise.all([svc.model.reload(), svc.auditTree.reload()]);
      return s.kind;
    }),
    register(svc, COMMANDS.approveRelease, 'Approve Release', (arg?: unknown) => approveRelease(svc, arg)),
    register(svc, COMMANDS.revokeRelease, 'Revoke Approval', (arg?: unknown) => revokeRelease(svc, arg)),
    register(svc, COMMANDS.rollbackRelease, 'Roll Back Release', (arg?: unknown) => rollbackRelease(svc, arg)),
    register(svc, COMMANDS.pauseRollout, 'Pause Rollout', (arg?: unknown) => pauseRollout(svc, arg)),
    register(svc, COMMANDS.resumeRollout, 'Resume Rollout', (arg?: unknown) => resumeRollout(svc, arg)),
    register(svc, COMMANDS.retireRelease, 'Retire Release', (arg?: unknown) => retireRelease(svc, arg)),
    register(svc, COMMANDS.downloadRelease, 'Download Package', (arg?: unknown) => downloadRelease(svc, arg)),
    register(svc, COMMANDS.editPolicy, 'Edit Policy', async (arg?: unknown) => (await editPolicy(svc, arg)) !== undefined),
    register(svc, COMMANDS.showClientStatus, 'Show Client Status', async (arg?: unknown) => {
      await showClientStatus(svc, arg);
      return true;
    }),
    register(svc, COMMANDS.exportClientReport, 'Export Client Report', () => exportClientReport(svc)),
    register(svc, COMMANDS.exportFailedUpgrades, 'Export Failed Upgrades', () => exportFailedUpgrades(svc)),
    register(svc, COMMANDS.moveClient, 'Move Client to Group', (arg?: unknown, toGroup?: string) => moveClient(svc, arg, toGroup)),
    register(svc, COMMANDS.loadMoreClients, 'Load More Clients', (groupId: string) => svc.groupsTree.loadMore(groupId)),
    vscode.commands.registerCommand(COMMANDS.showLog, () => svc.log.show()),
    register(svc, COMMANDS.publishRelease, 'Publish Release', () => publishRelease(svc)),
    register(svc, COMMANDS.editRelease, 'Edit Release', (arg?: unknown) => editRelease(svc, arg)),
    register(svc, COMMANDS.filterAudit, 'Filter Audit', (arg?: Parameters<typeof filterAudit>[2]) => filterAudit(svc, svc.auditTree, arg)),
    register(svc, COMMANDS.acceptClient, 'Accept Client', (arg?: unknown) => admitClient(svc, 'accept', arg)),
    register(svc, COMMANDS.rejectClient, 'Reject Client', (arg?: unknown) => admitClient(svc, 'reject', arg)),
    register(svc, COMMANDS.decommissionClient, 'Decommission Client', (arg?: unknown) => decommissionClient(svc, arg)),
    register(svc, COMMANDS.rotateEnrollmentToken, 'Rotate Enrollment Token', () => rotateEnrollmentToken(svc)),
    register(svc, COMMANDS.setMinimumVersion, 'Set Minimum Auto-Upgrade Version', (value?: string) => setMinimumVersion(svc, value)),
    register(svc, COMMANDS.clearAuditFilter, 'Clear Audit Filter', async () => {
      await svc.auditTree.setFilter({});
      return svc.auditTree.filter;
    }),
  ];
}
