// A real Chromium for the console's browser tests: Debian's binary (scripts/ensure-chromium.sh
// finds or installs it), driven by playwright-core, with a fresh profile per launch. Pages record
// their script errors and Content-Security-Policy refusals, so a test can assert there were none.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const DESKTOP = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CADENZA_TEST_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: run \`make test\` (it installs Debian's chromium) or set CADENZA_TEST_CHROMIUM`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    viewport: DESKTOP,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(30_000);
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface ConsolePage {
  page: Page;
  /** Script errors and CSP refusals seen so far. */
  problems: string[];
}

/** A new tab on the console, signed in with the key (session storage is per tab). */
export async function signIn(browser: Browser, baseUrl: string, key: string, viewport = DESKTOP): Promise<ConsolePage> {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('main#main').waitFor();
  return { page, problems };
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays on.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
    const browser = globalThis as unknown as { document: unknown; axe: { run: (context: unknown, options: object) => Promise<Result> } };
    return (await browser.axe.run(browser.document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}

/**
 * Screenshots for the README go to docs/console/ when CADENZA_CONSOLE_SCREENSHOTS=1 (how the
 * committed ones are made); otherwise to a temp folder, so `make test` leaves the tree clean.
 */
export const SCREENSHOT_DIR =
  process.env.CADENZA_CONSOLE_SCREENSHOTS === '1' ? path.resolve(__dirname, '../../docs/console') : fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-console-shots-'));

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // animations: 'disabled' shows finite transitions (progress bars) at their end.
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false, animations: 'disabled' });
  return file;
}
