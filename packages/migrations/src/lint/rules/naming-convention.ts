import { alterCmds, constraintsOf, listName } from '../ast.js';
import type { Node } from '../parse.js';
import { defineRule } from '../rule.js';

/** Names a statement gives to new objects, with what they are. */
function definedNames(type: string, node: Node): Array<[kind: string, name: string]> {
  const out: Array<[string, string]> = [];
  const add = (kind: string, name: unknown) => {
    if (typeof name === 'string' && name) out.push([kind, name]);
  };
  const constraintNames = (cs: Node[]) => {
    for (const c of cs) add('constraint', c.conname);
  };
  switch (type) {
    case 'CreateStmt':
      add('table', node.relation?.relname);
      for (const e of node.tableElts ?? []) {
        if (e.ColumnDef) {
          add('column', e.ColumnDef.colname);
          constraintNames(constraintsOf(e.ColumnDef));
        } else if (e.Constraint) constraintNames([e.Constraint]);
      }
      break;
    case 'AlterTableStmt':
      for (const cmd of alterCmds(node)) {
        if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
          add('column', cmd.def.ColumnDef.colname);
          constraintNames(constraintsOf(cmd.def.ColumnDef));
        }
        if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint) constraintNames([cmd.def.Constraint]);
      }
      break;
    case 'IndexStmt':
      add('index', node.idxname);
      break;
    case 'RenameStmt':
      add('name', node.newname);
      break;
    case 'CreateSchemaStmt':
      add('schema', node.schemaname);
      break;
    case 'CreateEnumStmt':
      add('type', listName(node.typeName, '').split('.').pop());
      break;
    case 'CompositeTypeStmt':
      add('type', node.typevar?.relname);
      break;
    case 'CreateDomainStmt':
      add('domain', listName(node.domainname, '').split('.').pop());
      break;
    case 'ViewStmt':
      add('view', node.view?.relname);
      break;
    case 'CreateTableAsStmt':
      add('table', node.into?.rel?.relname);
      break;
    case 'CreateSeqStmt':
      add('sequence', node.sequence?.relname);
      break;
    case 'CreateTrigStmt':
      add('trigger', node.trigname);
      break;
  }
  return out;
}

export default defineRule({
  id: 'naming-convention',
  severity: 'info',
  anchor: 'H',
  summary: 'new object name outside the naming convention (default: lower snake case)',
  check({ type, node, namingPattern }) {
    const bad = definedNames(type, node).filter(([, name]) => !namingPattern.test(name));
    return bad.map(
      ([kind, name]) =>
        `The ${kind} name "${name}" does not match ${namingPattern}; names outside lower snake case must be double-quoted in every query forever, and an unquoted reference folds to lower case and misses. Rename it before it ships (or set namingPattern).`,
    );
  },
});
