// Preloaded into a CLI child (NODE_OPTIONS=--import …): writes the URL of every
// module the child loaded, one a line, to $DBRS_TEST_MODULE_LOG when it exits,
// so a test can say what a command did NOT load.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.DBRS_TEST_MODULE_LOG;
const seen = [];
registerHooks({
  load(url, context, nextLoad) {
    seen.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  if (out) writeFileSync(out, seen.join('\n'));
});
