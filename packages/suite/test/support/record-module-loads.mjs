// Preloaded with `node --import` by the module-graph test: records the URL of every module the process loads
// (ES modules and require()d CommonJS alike: module.registerHooks sees both) and writes them, one a line, to
// the file named by DBRS_MODULE_LOG when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env['DBRS_MODULE_LOG'];
if (!file) throw new Error('record-module-loads.mjs needs DBRS_MODULE_LOG (the file to write)');
const loaded = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(file, `${loaded.join('\n')}\n`));
