// Module hooks that let Node run the workspace's TypeScript sources directly
// (child processes in tests, the CLI during development): sources import
// siblings as `./x.js` (NodeNext style) while the file on disk is `./x.ts`.
// Used with `--conditions=@voicehive/source --experimental-transform-types`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, nextResolve) {
  if (
    (specifier.startsWith('.') || specifier.startsWith('/')) &&
    specifier.endsWith('.js') &&
    context.parentURL?.startsWith('file:')
  ) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    const jsPath = fileURLToPath(new URL(specifier, context.parentURL));
    if (!existsSync(jsPath) && existsSync(fileURLToPath(candidate))) {
      return nextResolve(candidate.href, context);
    }
  }
  return nextResolve(specifier, context);
}
