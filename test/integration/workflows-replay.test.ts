// Replays saved histories of finished interpreter runs against the built workflow bundle. A
// change to src/workflows/dag.ts that breaks one of them must go behind patched().
// To add a history: finish a run on the dev server, then
// `temporal workflow show -w <temporalWorkflowId> --output json > test/fixtures/histories/<name>.json`.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { BUNDLE_PATH } from '../../src/worker/bundle';
import { loadHistory } from '../helpers/history';

const DIR = path.join(__dirname, '../fixtures/histories');
const histories = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));
const bundle = path.resolve(__dirname, '../../dist/workflow-bundle.js');

describe('interpreter history replay', () => {
  it('has saved histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
    expect(path.basename(BUNDLE_PATH)).toBe('workflow-bundle.js');
  });

  it.each(histories)('replays %s without nondeterminism', async (file) => {
    const history = loadHistory(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: bundle } }, history, file)).resolves.toBeUndefined();
  });
});
