// Lets plain `node` run this repo's TypeScript sources (bench scripts and the
// crash-test child): maps the `.js` specifiers of NodeNext imports to the `.ts`
// files in src/, and compiles TypeScript with Node's own transformer (transform
// mode also handles parameter properties and enums, which strip-only rejects).
import { readFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (
        err?.code === 'ERR_MODULE_NOT_FOUND' &&
        specifier.endsWith('.js') &&
        (specifier.startsWith('.') || specifier.startsWith('file:'))
      ) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
  load(url, context, nextLoad) {
    // Only this repo's sources: user migration files must go through Node's own type stripping, as in production.
    if (
      url.startsWith('file:') &&
      /\.m?ts(\?|$)/.test(url) &&
      /\/(packages|bench)\//.test(url) &&
      !url.includes('/node_modules/')
    ) {
      const source = readFileSync(fileURLToPath(url.split('?')[0]), 'utf8');
      return {
        format: 'module',
        source: stripTypeScriptTypes(source, { mode: 'transform', sourceUrl: url }),
        shortCircuit: true,
      };
    }
    return nextLoad(url, context);
  },
});
