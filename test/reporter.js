'use strict';
// Mocha's spec reporter followed by one summary line that .ci/run and
// people both read: "tests: N passed, N failed[, N skipped]".
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      let line = `tests: ${passes} passed, ${failures} failed`;
      if (pending > 0) line += `, ${pending} skipped`;
      process.stdout.write(`${line}\n`);
    });
  }
}

module.exports = SummaryReporter;
