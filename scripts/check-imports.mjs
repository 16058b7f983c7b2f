// The module map's rules, checked on every `npm test`: no import cycle anywhere under the folder (type-only imports
// count: a cycle of types is still two files that cannot be read apart), and storage/ imports nothing from relay/,
// payments/, ledger/ or connector/ (storage knows events and SQLite, never money or sessions).
// Usage: node scripts/check-imports.mjs [folder, default src]; exit 1 with every problem listed.
import path from 'node:path';
import { parseDependencyTree } from 'dpdm';

const STORAGE_MAY_NOT_IMPORT = ['relay', 'payments', 'ledger', 'connector'];

const root = path.resolve(process.argv[2] ?? 'src');
const tree = await parseDependencyTree(['**/*.ts'], { cwd: root, context: root, transform: false, skipDynamicImports: false });
// dpdm names files relative to the context; edges to node_modules or unresolved requests are left out.
const edges = new Map();
for (const [file, deps] of Object.entries(tree)) {
  if (file.includes('node_modules')) continue;
  edges.set(file, [...new Set((deps ?? []).map((d) => d.id).filter((id) => id && !id.includes('node_modules') && tree[id] !== undefined))]);
}

/** Tarjan's strongly connected components: every group of files that reach each other is one cycle (or more). */
function cycles(graph) {
  let index = 0;
  const at = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    at.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!at.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), at.get(w)));
    }
    if (low.get(v) !== at.get(v)) return;
    const group = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!at.has(v)) visit(v);
  return found;
}

const problems = [];
for (const group of cycles(edges)) problems.push(`import cycle among ${group.join(', ')}`);
const top = (file) => file.split(/[\\/]/)[0];
for (const [file, deps] of edges) {
  if (top(file) !== 'storage') continue;
  for (const dep of deps) {
    if (STORAGE_MAY_NOT_IMPORT.includes(top(dep))) problems.push(`storage imports ${top(dep)}/: ${file} -> ${dep}`);
  }
}

const shown = path.relative(process.cwd(), root) || '.';
if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s) in ${shown}/`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-imports: ${edges.size} files in ${shown}/, no import cycle, storage/ imports no money or relay code`);
