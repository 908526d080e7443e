// In-host mocha suite, in the shape @vscode/test-electron expects: the workbench loads this module inside the
// extension host (extensionTestsPath) and awaits run(). Here it runs in code-server (see test/e2e); elsewhere
// it runs under @vscode/test-electron unchanged.
//
// The fleet server comes from the environment: UPDATE_FLEET_SERVER_URL and UPDATE_FLEET_TOKEN (an admin token).
// The suite changes server data (registers, approves, rolls back releases; moves a client): give it its own server.
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  // Define describe/it on the global object, then load the suites (static paths, so a bundler can follow them).
  mocha.suite.emit('pre-require', globalThis, 'update-fleet-extension-suite', mocha);
  await import('./activation.test.js');
  await import('./trees.test.js');
  await import('./commands.test.js');
  await import('./panels.test.js');
  await import('./console.test.js');
  await import('./rollouts.test.js');
  await import('./identity.test.js');
  await new Promise<void>((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} in-host test(s) failed.`)) : resolve()));
  });
}
