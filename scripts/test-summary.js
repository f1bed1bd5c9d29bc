#!/usr/bin/env node
// Prints one line per suite and a total from jest's --json reports, so the end of `make test`
// says how many tests ran. Fails when a report is missing, any test failed, or none ran at all:
// a green run that executed nothing is a broken run.
const fs = require('node:fs');
const path = require('node:path');

function readReport(file) {
  if (!fs.existsSync(file)) throw new Error(`no test report at ${file}: that suite did not finish`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

let passed = 0;
let failed = 0;
let total = 0;
const lines = [];
for (const file of process.argv.slice(2)) {
  const report = readReport(file);
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  total += report.numTotalTests;
  lines.push(`  ${path.basename(file, '.json').padEnd(8)} ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numTotalTests} total`);
}
console.log('make test, every suite:');
console.log(lines.join('\n'));
// The last line in jest's own words, for anything that reads the end of the log.
console.log(`Tests:       ${failed > 0 ? `${failed} failed, ` : ''}${passed} passed, ${total} total`);
if (failed > 0 || total === 0 || passed !== total) process.exit(1);
