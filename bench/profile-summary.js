#!/usr/bin/env node
// Summarises V8 CPU profiles (from `node bench/run.js --profile`): self time by function and by
// package or source file, heaviest first, so a speed change starts from where the time goes.
//   node bench/profile-summary.js /tmp/cadenza-bench-profiles/worker/*.cpuprofile [--top 30]
'use strict';
const fs = require('node:fs');

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;
if (args.length === 0) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile>... [--top N]');
  process.exit(2);
}

/** node_modules/<pkg> (or @scope/pkg), a dist/ or bench/ file, or the V8/Node category. */
function where(url) {
  if (url === '') return '(native/V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const own = /\/(dist|bench)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

const byFunction = new Map();
const byPlace = new Map();
let total = 0;
for (const file of args) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // timeDeltas[i] is the time before sample i, spent in samples[i].
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const { callFrame } = nodes.get(id);
    const fn = `${callFrame.functionName || '(anonymous)'} ${where(callFrame.url)}:${callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    const place = where(callFrame.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + dt);
    total += dt;
  });
}

function print(title, map) {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}
console.log(`total sampled: ${(total / 1e6).toFixed(1)} s in ${args.length} profile(s)`);
print('self time by package or file', byPlace);
print('self time by function', byFunction);
