// Lets Node run the workspace's TypeScript sources directly (child processes in
// tests, the demo, the CLI during development): Node strips types but does not
// map the `.js` specifiers of NodeNext-style imports back to their `.ts` files.
// Use with `--conditions=@voicehive/source` so workspace packages resolve to src.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (
        specifier.endsWith('.js') &&
        (specifier.startsWith('.') || specifier.startsWith('/')) &&
        context.parentURL?.startsWith('file:')
      ) {
        const candidate = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
        if (existsSync(fileURLToPath(candidate))) return nextResolve(candidate.href, context);
      }
      throw err;
    }
  },
});
