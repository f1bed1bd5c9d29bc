// Replays saved histories of the command, flow and log retention workflows against the current bundle, so a change to
// deployed workflow code that breaks determinism fails here (DESIGN: replay tests in CI).
// Add a history with `client.workflow.getHandle(id).fetchHistory()` when the workflow changes.
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../src/worker/bundle';

const DIR = path.join(__dirname, '../fixtures/histories');

describe('workflow replay', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.startsWith('flow-run-') || f.startsWith('command-') || f.startsWith('log-retention-'));
  // A worker loads the traced bundle or the untraced one: a history recorded under either replays under both.
  it.each(files.flatMap((f) => [[f, 'traced'], [f, 'untraced']]))('replays %s deterministically (%s bundle)', async (file, bundle) => {
    // The file is fetchHistory() output as JSON; fromObject turns it back into the proto.
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(bundle === 'traced') }, history);
  });
});
