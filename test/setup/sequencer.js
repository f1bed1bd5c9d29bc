// Runs end-to-end, browser, integration and conformance files before unit files, longest first.
const Sequencer = require('@jest/test-sequencer').default;

const weight = (p) => (p.includes('/e2e/') || p.includes('/browser/') ? 3 : p.includes('/integration/') || p.includes('/conformance/') ? 2 : 1);

class CadenzaSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => weight(b.path) - weight(a.path) || a.path.localeCompare(b.path));
  }
}

module.exports = CadenzaSequencer;
