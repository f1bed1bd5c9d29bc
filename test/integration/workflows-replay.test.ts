// Replays saved histories of finished interpreter runs against the built workflow bundle. A
// change to src/workflows/dag.ts that breaks one of them must go behind patched().
// To add a history: finish a run on the dev server, then
// `temporal workflow show -w <temporalWorkflowId> --output json > test/fixtures/histories/<name>.json`.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { BUNDLE_PATH, UNTRACED_BUNDLE_PATH } from '../../src/worker/bundle';
import { loadHistory } from '../helpers/history';

const DIR = path.join(__dirname, '../fixtures/histories');
const histories = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));
const bundles = { traced: path.resolve(__dirname, '../../dist/workflow-bundle.js'), untraced: path.resolve(__dirname, '../../dist/workflow-bundle-untraced.js') };

describe('interpreter history replay', () => {
  it('has saved histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
    expect(path.basename(BUNDLE_PATH)).toBe('workflow-bundle.js');
    expect(path.basename(UNTRACED_BUNDLE_PATH)).toBe('workflow-bundle-untraced.js');
  });

  // The worker loads one or the other by whether tracing is on: both replay every history.
  it.each(histories.flatMap((f) => [[f, 'traced'], [f, 'untraced']] as const))('replays %s without nondeterminism (%s bundle)', async (file, kind) => {
    const history = loadHistory(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: bundles[kind] } }, history, file)).resolves.toBeUndefined();
  });
});
