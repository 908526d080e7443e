// Driving the VS Code workbench (code-server) with Playwright: the activity bar, tree rows, the command palette,
// quick picks, modal dialogs, webview frames, the status bar, screenshots. Waits for conditions, never for time.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { SCREENSHOTS } from './harness';
import { until } from '../helpers/poll';

export { until };

export const STATUS_ITEM = '[id="update-fleet.update-fleet.updateFleet.health"]';
export type Section = 'Releases' | 'Approvals' | 'Client Groups' | 'Audit';

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Open the workbench and wait until the extension is signed in (its status-bar item shows fleet health). */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator(STATUS_ITEM).waitFor({ state: 'visible', timeout: 60_000 });
}

/** The Update Fleet view container in the activity bar. */
export async function showFleetViews(page: Page): Promise<void> {
  const item = page.locator('.activitybar a.action-label[aria-label="Update Fleet"]');
  const li = page.locator('.activitybar .action-item', { has: page.locator('a.action-label[aria-label="Update Fleet"]') });
  if (!((await li.getAttribute('class')) ?? '').includes('checked')) await item.click();
  await page.locator(paneHeader('Releases')).waitFor();
}

/** Drag the side bar's edge so tree descriptions fit (for readable screenshots; best effort). */
export async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}

/** A view's header; its aria-label is "Releases Section", or "Releases - admin · admin Section" with a description. */
export function paneHeader(section: Section): string {
  return `.pane-header:is([aria-label="${section} Section"], [aria-label^="${section} - "][aria-label$=" Section"])`;
}

export function pane(page: Page, section: Section): Locator {
  return page.locator('.pane', { has: page.locator(paneHeader(section)) });
}

/** Tree rows of a view; each row's aria-label is "label, description" (releases: "Release 3.59.127.0, …"). */
export function treeRows(page: Page, section: Section): Locator {
  return pane(page, section).locator('.monaco-list-row');
}

/** The view's "Collapse All" title action (the Client Groups tree has one). */
export async function collapseAll(page: Page, section: Section): Promise<void> {
  const header = pane(page, section).locator('.pane-header');
  await header.hover();
  await header.locator('a.action-label[aria-label="Collapse All"]').click();
}

export async function rowLabels(page: Page, section: Section): Promise<string[]> {
  return treeRows(page, section).evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
}

export async function waitForRow(page: Page, section: Section, match: RegExp, timeoutMs = 20_000): Promise<string> {
  let seen: string[] = [];
  try {
    return await until(async () => (seen = await rowLabels(page, section)).find((l) => match.test(l)), `a ${section} row matching ${match}`, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the rows were: ${seen.map((l) => JSON.stringify(l)).join(', ') || 'none'}`);
  }
}

/** F1, type the command's title, run it. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) await page.keyboard.press('Escape');
  // Focus the workbench itself (not a webview's form) by clicking a harmless spot: the side bar's title.
  const sideBarTitle = page.locator('.part.sidebar .composite.title .title-label');
  if (await sideBarTitle.isVisible()) await sideBarTitle.click();
  await page.keyboard.press('F1');
  await widget.waitFor({ state: 'visible' });
  const input = widget.locator('.quick-input-box input');
  await input.fill(`>${title}`);
  const row = widget.locator('.monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/**
 * Run a command that opens a quick pick or input box titled `questionTitle`; run it again when the question does
 * not show (the palette can lose a click while its list re-renders).
 */
export async function runCommandAsking(page: Page, title: string, questionTitle: string): Promise<void> {
  const question = page.locator('.quick-input-widget .quick-input-title', { hasText: questionTitle });
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, title);
    try {
      await question.waitFor({ state: 'visible', timeout: 5_000 });
      return;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** The open quick pick: wait for its title, then choose the row whose label is exactly `label`. */
export async function pickQuickItem(page: Page, label: string, opts: { title?: string } = {}): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible' });
  if (opts.title) await widget.locator('.quick-input-title', { hasText: opts.title }).waitFor();
  const row = widget.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The open input box (showInputBox): wait for its title, type the answer, press Enter. */
export async function answerInputBox(page: Page, text: string, opts: { title?: string } = {}): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible' });
  if (opts.title) await widget.locator('.quick-input-title', { hasText: opts.title }).waitFor();
  const input = widget.locator('.quick-input-box input');
  await input.fill(text);
  await input.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

/** A modal dialog of the browser workbench (showWarningMessage with modal: true). */
export function dialog(page: Page): Locator {
  return page.locator('.monaco-dialog-box');
}

export async function clickDialogButton(page: Page, name: string): Promise<void> {
  const d = dialog(page);
  await d.waitFor({ state: 'visible' });
  await d.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${escapeRe(name)}$`) }).click();
  await d.waitFor({ state: 'hidden' });
}

/** The frame of a webview panel that holds `selector` (a webview is an iframe inside an iframe). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  return until(async () => {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      if (await f.$(selector).catch(() => null)) return f;
    }
    return undefined;
  }, `a webview holding ${selector}`, timeoutMs);
}

/** Set a vscode-elements control (single-select, textfield) the way its own UI does: value + an event. */
export async function setControl(frame: Frame, id: string, value: string, event: 'change' | 'input' = 'change'): Promise<void> {
  await frame.locator(`#${id}`).evaluate(
    (el, [v, ev]) => {
      (el as unknown as { value: string }).value = v;
      el.dispatchEvent(new Event(ev, { bubbles: true }));
    },
    [value, event] as const,
  );
}

export async function statusText(page: Page): Promise<string> {
  return ((await page.locator(STATUS_ITEM).textContent()) ?? '').trim();
}

/** Notifications toasts currently shown (their messages). */
export async function toasts(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
}
