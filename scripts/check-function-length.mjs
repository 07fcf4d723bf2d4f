// Fails when a function in packages/*/src is longer than MAX_LINES without a
// comment saying why (a leading comment containing "Long:"). Issue #13 §5: a
// function that does not fit on a screen is split into its stages, or says
// why it is one piece. Biome has no such rule, so this walks the TypeScript AST.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const MAX_LINES = 80;
const files = execFileSync('git', ['ls-files', 'packages/*/src/**/*.ts'], { encoding: 'utf8' }).trim().split('\n');

/** The node whose leading comments document the function: its statement, property or the function itself. */
function documentedNode(fn) {
  let n = fn;
  while (
    n.parent &&
    (ts.isVariableDeclaration(n.parent) ||
      ts.isVariableDeclarationList(n.parent) ||
      ts.isVariableStatement(n.parent) ||
      ts.isPropertyAssignment(n.parent) ||
      ts.isExportAssignment(n.parent) ||
      ts.isCallExpression(n.parent))
  ) {
    n = n.parent;
    if (ts.isVariableStatement(n) || ts.isPropertyAssignment(n)) break;
  }
  return n;
}

function explained(sf, fn) {
  const text = sf.getFullText();
  const node = documentedNode(fn);
  const comments = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  return comments.some((c) => text.slice(c.pos, c.end).includes('Long:'));
}

const offenders = [];
for (const file of files) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    const isFn =
      ts.isFunctionDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isArrowFunction(n) ||
      ts.isFunctionExpression(n) ||
      ts.isConstructorDeclaration(n) ||
      ts.isGetAccessor(n);
    if (isFn && n.body) {
      const from = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const to = sf.getLineAndCharacterOfPosition(n.end).line;
      const lines = to - from + 1;
      if (lines > MAX_LINES && !explained(sf, n)) offenders.push(`${file}:${from + 1} is ${lines} lines`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
if (offenders.length) {
  console.error(
    `Functions longer than ${MAX_LINES} lines without a "Long:" comment saying why:\n  ${offenders.join('\n  ')}\n` +
      'Split them into their stages, or say in a comment just above why they are one piece ("Long: …").',
  );
  process.exit(1);
}
console.log(`function length: every function in packages/*/src is at most ${MAX_LINES} lines or says why.`);
