// The operator console in a real Chromium, against Cadenza on the real Temporal and PostgreSQL of
// the test harness: the README tour done in the browser, bulk retry, a workflow run's graph and
// a rerun from its failed node, what a viewer key sees, and an axe-core scan of every page at
// desktop size plus a narrow-screen pass. The README's screenshots are taken here too.
import crypto from 'node:crypto';
import type { Page } from 'playwright-core';
import { connect, createWorkflow, executeWorkflow, finishedRun, http, node, setNode, trigger, workflow } from '../helpers/dag';
import { launchChromium, NARROW, screenshot, seriousViolations, signIn, type AxeViolation, type Browser } from '../helpers/browser';
import { call, newTenant, startHarness, startWorkerProcess, waitFor, type Harness, type TestTenant, type WorkerProcess } from '../helpers/harness';
import { startReceiver as startHookReceiver, type Receiver as HookReceiver } from '../helpers/receiver';
import { startReceiver, type Receiver } from '../helpers/scripted-receiver';

let h: Harness;
let worker: WorkerProcess;
let rx: Receiver;
let hooks: HookReceiver;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1', CADENZA_TEMPORAL_UI_URL: 'http://localhost:8233' });
  rx = await startReceiver();
  hooks = await startHookReceiver();
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await hooks?.close();
  await rx?.close();
  await h?.close();
});

async function api(t: TestTenant, method: string, path: string, body?: unknown, key = t.adminKey) {
  return call(h, method, path, { key, body });
}

async function namedKey(t: TestTenant, name: string, role: 'admin' | 'operator' | 'viewer'): Promise<string> {
  const res = await api(t, 'POST', '/v1/keys', { name, role });
  expect(res.status).toBe(201);
  return res.body.secret;
}

async function sendToQueue(t: TestTenant, commandId: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await api(t, 'POST', '/v1/commands', { domain: 'demo', type: 'flaky', commandId, payload: { failTimes: 1, permanent: true }, ...extra });
  expect(res.status).toBe(202);
}

async function queueHolds(t: TestTenant, count: number): Promise<void> {
  await waitFor(async () => (await api(t, 'GET', '/v1/troubleshooting/counts')).body.total === count, { what: `${count} entries in the queue` });
}

async function commandStatus(t: TestTenant, domain: string, commandId: string): Promise<string> {
  return (await api(t, 'GET', `/v1/commands/${domain}/${commandId}`)).body.status;
}

/** An order workflow: If on the amount, two branches joined by a Merge, then an HTTP call. */
function orderWorkflow(notifyUrl: string) {
  return workflow(
    'order-approval',
    [
      trigger('Start'),
      node('Big order?', 'n8n-nodes-base.if', 2, {
        conditions: {
          options: { caseSensitive: true, leftValue: '', typeValidation: 'strict' },
          conditions: [{ id: 'c1', leftValue: '={{ $json.amount }}', rightValue: 100, operator: { type: 'number', operation: 'gt' } }],
          combinator: 'and',
        },
        options: {},
      }),
      setNode('Flag for review', { review: 'manual' }),
      setNode('Auto approve', { review: 'auto' }),
      node('Join', 'n8n-nodes-base.merge', 3, { mode: 'append' }),
      http('Notify warehouse', notifyUrl),
    ],
    connect(['Start', 'Big order?'], ['Big order?', 'Flag for review', 0], ['Big order?', 'Auto approve', 1], ['Flag for review', 'Join', 0, 0], ['Auto approve', 'Join', 0, 1], ['Join', 'Notify warehouse']),
  );
}

/** A failed run of the order workflow whose HTTP call fails once (the next call succeeds). */
async function failedOrderRun(t: TestTenant): Promise<{ workflowId: string; runId: string; run: any }> {
  const workflowId = await createWorkflow(h, t, orderWorkflow(`${rx.url}/flaky/${crypto.randomUUID()}/1`));
  const runId = await executeWorkflow(h, t, workflowId, { orderId: 'A-1001', amount: 150 });
  const run = await finishedRun(h, t, runId);
  expect(run.status).toBe('failed');
  return { workflowId, runId, run };
}

/** Waits until the page shows its title and no part of it is still loading. */
async function settled(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await waitFor(async () => (await page.locator('.loading').count()) === 0, { what: 'the page to finish loading' });
}

const statusBadge = (page: Page, state: string) => page.locator(`.page-actions [data-state="${state}"]`);

describe('the README tour in the console', () => {
  it('shows a permanent failure in the queue with its error; retry completes it and the audit names the operator', async () => {
    const t = await newTenant(h);
    const alice = await namedKey(t, 'alice', 'operator');
    await sendToQueue(t, 'tour-1');
    await queueHolds(t, 1);

    const { page, problems } = await signIn(browser, h.baseUrl, alice);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: /Troubleshooting queue/ }).click();
    const row = page.locator('tr[data-command="demo/tour-1"]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(/PERMANENT[\s\S]*DEMO_PERMANENT[\s\S]*demo\/flaky failure 1 of 1/);

    await row.getByRole('link', { name: 'tour-1' }).click();
    await page.getByRole('heading', { level: 1, name: 'tour-1' }).waitFor();
    expect(await page.locator('.card-stuck').innerText()).toContain('demo/flaky failure 1 of 1');
    await screenshot(page, 'command-in-queue');

    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry demo/tour-1?' });
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await statusBadge(page, 'COMPLETED').waitFor();
    const retried = page.locator('.timeline-item[data-event="command.operator_retry"]');
    await retried.waitFor();
    expect(await retried.innerText()).toContain('by alice');
    await page.locator('.timeline-item[data-event="command.completed"]').waitFor();

    // A deep link survives a reload: the key stays in the tab's session storage.
    await page.reload();
    await statusBadge(page, 'COMPLETED').waitFor();
    await page.locator('.timeline-item[data-event="command.completed"]').waitFor();
    await screenshot(page, 'command-completed', { fullPage: true });

    expect(await commandStatus(t, 'demo', 'tour-1')).toBe('COMPLETED');
    const audit = await api(t, 'GET', '/v1/commands/demo/tour-1/audit');
    expect(audit.body.items).toContainEqual(expect.objectContaining({ type: 'command.operator_retry', creator: 'alice' }));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('retries selected entries in bulk, with a progress bar that follows the durable bulk retry', async () => {
    const t = await newTenant(h);
    for (const id of ['bulk-1', 'bulk-2', 'bulk-3']) await sendToQueue(t, id);
    await sendToQueue(t, 'left-alone', { payload: { failTimes: 9 }, maxAttempts: 1 });
    await queueHolds(t, 4);

    const { page, problems } = await signIn(browser, h.baseUrl, t.adminKey);
    await page.goto(`${h.baseUrl}/console/troubleshooting?tsqReason=PERMANENT`);
    await waitFor(async () => (await page.locator('tr[data-command]').count()) === 3, { what: 'the three PERMANENT entries' });
    await page.getByRole('checkbox', { name: 'Select every entry on this page' }).check();
    await page.getByRole('button', { name: 'Retry 3 selected' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry 3 commands?' });
    await dialog.getByLabel('Note for the audit trail (optional)').fill('payment provider is back');
    await dialog.getByRole('button', { name: 'Retry 3' }).click();

    const bar = page.getByRole('progressbar', { name: 'Bulk retry progress' });
    await waitFor(async () => (await bar.getAttribute('aria-valuenow')) === '3', { what: 'the progress bar to reach 3' });
    expect(await bar.getAttribute('aria-valuemax')).toBe('3');
    expect(await page.locator('.bulk').innerText()).toMatch(/Bulk retry done[\s\S]*3 of 3 retried/);
    await screenshot(page, 'bulk-retry');

    for (const id of ['bulk-1', 'bulk-2', 'bulk-3']) await waitFor(async () => (await commandStatus(t, 'demo', id)) === 'COMPLETED', { what: `${id} to complete` });
    expect(await commandStatus(t, 'demo', 'left-alone')).toBe('IN_TROUBLESHOOTING_QUEUE');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('a workflow run in the console', () => {
  it('draws the run as its graph with the states of the run, shows the failed node’s error, and reruns from it', async () => {
    const t = await newTenant(h);
    const { runId, run } = await failedOrderRun(t);
    // As in n8n, the branch the IF did not take never runs: the run has no record of it, and the
    // graph draws it as not run ('pending').
    const expected: Record<string, string> = { Start: 'completed', 'Big order?': 'completed', 'Flag for review': 'completed', 'Auto approve': 'pending', Join: 'completed', 'Notify warehouse': 'failed' };
    for (const n of run.nodes) expect(expected[n.name]).toBe(n.status);
    expect(run.nodes.map((n: { name: string }) => n.name)).not.toContain('Auto approve');

    const { page, problems } = await signIn(browser, h.baseUrl, t.adminKey);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('link', { name: runId }).first().click();
    await settled(page);
    for (const [name, status] of Object.entries(expected)) {
      expect(await page.locator(`.dag-node[data-node="${name}"]`).getAttribute('data-status')).toBe(status);
    }
    expect(await page.locator('.react-flow__edge').count()).toBe(6);

    await page.locator('.dag-node[data-node="Notify warehouse"]').click();
    const panel = page.locator('.node-panel');
    await panel.getByRole('heading', { name: 'Notify warehouse' }).waitFor();
    expect(await panel.locator('.last-error').innerText()).toContain('HTTP 503');
    expect(new URL(page.url()).searchParams.get('node')).toBe('Notify warehouse');
    await screenshot(page, 'workflow-run', { fullPage: true });

    await panel.getByRole('button', { name: 'Rerun from this node' }).click();
    await page.getByRole('dialog', { name: 'Rerun from Notify warehouse?' }).getByRole('button', { name: 'Start the rerun' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/console/workflow-runs/') && !url.pathname.endsWith(runId));
    await statusBadge(page, 'completed').waitFor();
    await waitFor(async () => (await page.locator('.dag-node[data-node="Notify warehouse"]').getAttribute('data-status')) === 'completed', { what: 'the rerun node to complete' });

    const rerunId = new URL(page.url()).pathname.split('/').pop()!;
    const rerun = (await api(t, 'GET', `/v1/workflow-runs/${rerunId}`)).body;
    expect(rerun).toMatchObject({ status: 'completed', retryOf: runId });
    expect(rerun.nodes.find((n: { name: string }) => n.name === 'Join').reusedFromRun).toBe(runId);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('a workflow run waiting for an approval', () => {
  it('shows the waiting node and sends the signal it expects', async () => {
    const t = await newTenant(h);
    const workflowId = await createWorkflow(
      h,
      t,
      workflow('refund', [trigger('Start'), node('Manager approval', 'cadenza.waitForSignal', 1, { signalName: 'approve' }), setNode('Refund', { refunded: 'yes' })], connect(['Start', 'Manager approval'], ['Manager approval', 'Refund'])),
    );
    const runId = await executeWorkflow(h, t, workflowId, { amount: 80 });
    await waitFor(async () => (await api(t, 'GET', `/v1/workflow-runs/${runId}`)).body.nodes.some((n: { name: string; status: string }) => n.name === 'Manager approval' && n.status === 'waiting'), {
      what: 'the approval node to wait',
    });

    const { page, problems } = await signIn(browser, h.baseUrl, t.adminKey);
    await page.goto(`${h.baseUrl}/console/workflow-runs/${runId}?node=Manager%20approval`);
    await settled(page);
    expect(await page.locator('.dag-node[data-node="Manager approval"]').getAttribute('data-status')).toBe('waiting');
    await page.getByRole('button', { name: 'Approve (approve)' }).click();
    await page.getByRole('dialog', { name: 'Send “approve” to this run?' }).getByRole('button', { name: 'Send the signal' }).click();
    await statusBadge(page, 'completed').waitFor();
    const run = (await api(t, 'GET', `/v1/workflow-runs/${runId}`)).body;
    expect(run.nodes.find((n: { name: string }) => n.name === 'Manager approval').output).toEqual([[{ json: { approved: true }, pairedItem: { item: 0 } }]]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('a viewer key', () => {
  it('sees the same pages with no action buttons, and the API refuses those actions anyway', async () => {
    const t = await newTenant(h);
    await sendToQueue(t, 'stuck-1');
    await queueHolds(t, 1);
    const { runId } = await failedOrderRun(t);
    const action = await api(t, 'POST', '/v1/instance/actions', { name: 'enrich', script: 'function enrich(ctx, api) {}' });
    await api(t, 'PATCH', `/v1/instance/actions/${action.body.id}`, { script: 'function enrich(ctx, api) { api.setContext("x", 1); }' });
    const target = await api(t, 'POST', '/v1/targets', { name: 'warehouse', type: 'webhook', endpoint: hooks.url });
    const viewer = await namedKey(t, 'auditor', 'viewer');

    const { page, problems } = await signIn(browser, h.baseUrl, viewer);
    const actionButtons = page.getByRole('button', { name: /^(Retry|Cancel…|Complete…|Roll back|Rerun|Rotate|Approve|Cancel run)/ });
    const visit = async (path: string, visible: string) => {
      await page.goto(`${h.baseUrl}/console${path}`);
      await settled(page);
      await page.getByText(visible).filter({ visible: true }).first().waitFor();
      expect({ path, buttons: await actionButtons.allInnerTexts() }).toEqual({ path, buttons: [] });
    };
    await visit('/troubleshooting', 'stuck-1');
    expect(await page.getByRole('checkbox').count()).toBe(0);
    await visit('/commands/demo/stuck-1', 'needs an operator key');
    await visit(`/workflow-runs/${runId}?node=Notify%20warehouse`, 'HTTP 503');
    await visit(`/actions/instance/${action.body.id}`, 'Compare versions');
    await visit(`/targets/${target.body.id}`, 'warehouse');

    const refused = [
      ['POST', '/v1/troubleshooting/demo/stuck-1/retry', {}],
      ['POST', '/v1/troubleshooting/demo/stuck-1/cancel', { reason: 'no' }],
      ['POST', '/v1/troubleshooting/demo/stuck-1/complete', { result: {} }],
      ['POST', '/v1/troubleshooting/retry', { commands: [{ domain: 'demo', commandId: 'stuck-1' }] }],
      ['POST', `/v1/workflow-runs/${runId}/retry`, { fromNode: 'Notify warehouse' }],
      ['POST', `/v1/instance/actions/${action.body.id}/rollback`, { version: 1 }],
      ['POST', `/v1/targets/${target.body.id}/signing-key`, undefined],
    ] as const;
    for (const [method, path, body] of refused) {
      expect({ path, status: (await api(t, method, path, body, viewer)).status }).toEqual({ path, status: 403 });
    }
    expect(await commandStatus(t, 'demo', 'stuck-1')).toBe('IN_TROUBLESHOOTING_QUEUE');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('every page', () => {
  it('has no serious or critical accessibility violations, works on a narrow screen, and shows loading and error states', async () => {
    const t = await newTenant(h);
    // A little of everything, as an instance in use looks.
    await sendToQueue(t, 'order-7731', { payload: { failTimes: 1, permanent: true, orderId: 'A-7731', amount: 420 } });
    await api(t, 'POST', '/v1/commands', { domain: 'demo', type: 'flaky', commandId: 'order-7730', payload: { failTimes: 9, orderId: 'A-7730' }, maxAttempts: 2, backoffMs: [50] });
    await api(t, 'POST', '/v1/commands', { domain: 'billing', type: 'Charge', commandId: 'inv-2041', payload: { invoice: 'inv-2041', cents: 1999 }, timeouts: { pickupMs: 500 } });
    for (let i = 0; i < 6; i++) await api(t, 'POST', '/v1/commands', { domain: 'demo', type: 'echo', payload: { n: i } });
    await queueHolds(t, 3);
    const { workflowId, runId } = await failedOrderRun(t);

    const enrich = await api(t, 'POST', '/v1/instance/actions', { name: 'enrich', script: 'function enrich(ctx, api) {\n  const user = api.getContext("user");\n  api.setContext("claims.tier", "gold");\n}' });
    await api(t, 'PATCH', `/v1/instance/actions/${enrich.body.id}`, {
      script: 'function enrich(ctx, api) {\n  const user = api.getContext("user");\n  // Tiers come from the CRM now.\n  const tier = user === "ada" ? "platinum" : "gold";\n  api.setContext("claims.tier", tier);\n  api.log("tier set for", user);\n}',
    });
    const strict = await api(t, 'POST', '/v1/instance/actions', { name: 'requireEmail', script: 'function requireEmail(ctx, api) {\n  if (!api.getContext("email")) throw new Error("email is required");\n}' });
    await api(t, 'PUT', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation', { actionIds: [enrich.body.id, strict.body.id] });
    const flowRun = await api(t, 'POST', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation/run', { context: { user: 'ada' } });
    expect(flowRun.status).toBe(422);
    const warehouse = await api(t, 'POST', '/v1/targets', { name: 'warehouse', type: 'call', endpoint: `${hooks.url}/stock`, timeoutSeconds: 5 });
    await api(t, 'PUT', '/v1/executions', { condition: 'function/reserve', targets: [{ target: warehouse.body.id }] });
    hooks.respondWith(200, { reserved: true, sku: 'SKU-1', left: 41 });
    const called = await api(t, 'POST', '/v1/functions/reserve/call', { payload: { sku: 'SKU-1', quantity: 1 } });
    expect(called.status).toBe(200);
    const alert = await api(t, 'POST', '/v1/alerts', { name: 'warehouse failing', scope: 'target', scopeId: warehouse.body.id, failureRateThreshold: 0.5, window: 300, minRuns: 5, notifyTargetId: warehouse.body.id });
    expect(alert.status).toBe(201);
    const flowRunId = (await api(t, 'GET', '/v1/runs?kind=flow')).body.items[0].id;

    const violations: Record<string, AxeViolation[]> = {};
    const loginPage = await browser.context.newPage();
    await loginPage.goto(`${h.baseUrl}/console/`);
    await loginPage.getByLabel('API key').waitFor();
    violations['sign in'] = await seriousViolations(loginPage);
    await loginPage.close();

    const { page, problems } = await signIn(browser, h.baseUrl, t.adminKey);
    // A loading state while an answer is on its way: hold the overview's counts until seen.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/v1/commands/counts', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${h.baseUrl}/console/`);
    await page.getByRole('status').filter({ hasText: 'Counting commands' }).waitFor();
    release();
    await page.locator('.tile').first().waitFor();
    await page.unrouteAll();
    // An error state: the API's problem, said plainly.
    await page.goto(`${h.baseUrl}/console/commands/demo/no-such-command`);
    expect(await page.getByRole('alert').innerText()).toMatch(/404 · Not found[\s\S]*command 'demo\/no-such-command' not found/);

    const pages: [string, string, string?][] = [
      ['/', 'Commands by status', 'overview'],
      ['/troubleshooting', 'order-7731', 'troubleshooting'],
      ['/commands', 'inv-2041'],
      ['/commands/demo/order-7731', 'Audit trail'],
      ['/runs', 'customiseToken'],
      [`/runs/${flowRunId}`, 'email is required', 'flow-run'],
      [`/runs/${called.body.runId}`, 'Target calls', 'execution-run'],
      ['/workflows', 'order-approval'],
      [`/workflows/${workflowId}`, 'Version 1'],
      [`/workflow-runs/${runId}?node=Notify%20warehouse`, 'HTTP 503'],
      ['/actions', 'enrich'],
      [`/actions/instance/${enrich.body.id}`, 'Compare versions', 'action-versions'],
      ['/flows', 'preAccessTokenCreation'],
      ['/targets', 'warehouse'],
      [`/targets/${warehouse.body.id}`, 'Rotate signing key'],
      ['/executions', 'function/reserve'],
      ['/alerts', 'warehouse failing'],
      [`/alerts/${alert.body.id}`, 'It never fired'],
      ['/commands/demo/no-such-command', 'not found'],
      ['/no-such-page', 'Page not found'],
    ];
    for (const [path, visible, shot] of pages) {
      await page.goto(`${h.baseUrl}/console${path}`);
      await settled(page);
      await page.getByText(visible).filter({ visible: true }).first().waitFor();
      violations[path] = await seriousViolations(page);
      if (shot) await screenshot(page, shot, { fullPage: shot !== 'overview' });
    }
    expect(Object.entries(violations).filter(([, v]) => v.length > 0)).toEqual([]);

    // The Overview's milestones panel: one row per milestone the API lists, reached ones with their date.
    const listed: { milestone: string; reachedAt: string | null }[] = (await api(t, 'GET', '/v1/milestones')).body.items;
    expect(listed.find((m) => m.milestone === 'command_sent')?.reachedAt).not.toBeNull();
    await page.goto(`${h.baseUrl}/console/`);
    const milestoneRows = page.getByRole('table', { name: 'Milestones' }).getByRole('row');
    await milestoneRows.nth(listed.length).waitFor();
    const milestoneTexts = await milestoneRows.allInnerTexts();
    expect(milestoneTexts.slice(1).map((row) => row.split('\t')[0])).toEqual(listed.map((m) => m.milestone.charAt(0).toUpperCase() + m.milestone.slice(1).replaceAll('_', ' ')));
    expect(milestoneTexts.slice(1).map((row) => row.includes('not yet'))).toEqual(listed.map((m) => m.reachedAt === null));

    // The buttons a viewer must not see are there for an admin, so the viewer test can fail.
    await page.goto(`${h.baseUrl}/console/actions/instance/${enrich.body.id}`);
    await page.getByRole('button', { name: 'Roll back to 1' }).waitFor();
    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await page.getByRole('dialog', { name: 'Roll back to version 1?' }).getByRole('button', { name: 'Roll back' }).click();
    await page.locator('td', { hasText: 'rollback to 1' }).waitFor();
    expect((await api(t, 'GET', `/v1/instance/actions/${enrich.body.id}`)).body).toMatchObject({ version: 3 });

    await page.goto(`${h.baseUrl}/console/targets/${warehouse.body.id}`);
    await page.getByRole('button', { name: 'Rotate signing key…' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate the signing key of warehouse?' });
    await rotate.getByRole('button', { name: 'Rotate the key' }).click();
    const shown = await page.getByRole('textbox', { name: 'New signing key' }).inputValue();
    expect(shown).toMatch(/^sk_/);

    // Narrow screens: no page scrolls sideways; wide tables scroll inside their card.
    const narrow = await signIn(browser, h.baseUrl, t.adminKey, NARROW);
    for (const [path, visible] of pages.slice(0, 10)) {
      await narrow.page.goto(`${h.baseUrl}/console${path}`);
      await settled(narrow.page);
      await narrow.page.getByText(visible).filter({ visible: true }).first().waitFor();
      const overflow = await narrow.page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
      if (path === '/troubleshooting') await screenshot(narrow.page, 'narrow-troubleshooting');
    }

    expect([...problems, ...narrow.problems]).toEqual([]);
    await narrow.page.close();
    await page.close();
  });
});
