/**
 * Lists import cycles among the relative imports of packages/<name>/src
 * (Tarjan's strongly connected components), type-only imports included
 * (marked). Prints the largest source files too. Exit code 1 when a cycle
 * exists. Usage: node scripts/import-cycles.ts [--top N]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = readdirSync(path.join(root, 'packages')).flatMap((name) => {
  try {
    return sourceFiles(path.join(root, 'packages', name, 'src'));
  } catch {
    return [];
  }
});
const edges = new Map<string, Map<string, boolean>>(); // file -> imported file -> type-only
for (const file of files) {
  const targets = new Map<string, boolean>();
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = path.resolve(path.dirname(file), match[3]!);
    const typeOnly = match[2] !== undefined;
    targets.set(target, (targets.get(target) ?? true) && typeOnly);
  }
  edges.set(file, targets);
}

// Tarjan's algorithm, iterative enough for this size (recursion depth = longest import chain).
let index = 0;
const order = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const components: string[][] = [];
function visit(file: string): void {
  order.set(file, index);
  low.set(file, index++);
  stack.push(file);
  onStack.add(file);
  for (const target of edges.get(file)?.keys() ?? []) {
    if (!edges.has(target)) continue;
    if (!order.has(target)) {
      visit(target);
      low.set(file, Math.min(low.get(file)!, low.get(target)!));
    } else if (onStack.has(target)) {
      low.set(file, Math.min(low.get(file)!, order.get(target)!));
    }
  }
  if (low.get(file) === order.get(file)) {
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) components.push(component);
  }
}
for (const file of edges.keys()) if (!order.has(file)) visit(file);

const relative = (file: string): string => path.relative(root, file);
console.log(`${files.length} files, ${[...edges.values()].reduce((sum, targets) => sum + targets.size, 0)} relative imports`);
for (const component of components) {
  const members = new Set(component);
  console.log(`cycle of ${component.length}:`);
  for (const file of component) {
    for (const [target, typeOnly] of edges.get(file) ?? []) {
      if (members.has(target)) console.log(`  ${relative(file)} -> ${relative(target)}${typeOnly ? ' (type only)' : ''}`);
    }
  }
}
if (components.length === 0) console.log('no import cycles');

const topArgument = process.argv.indexOf('--top');
const top = topArgument > 0 ? Number(process.argv[topArgument + 1]) : 10;
const sizes = files.map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n').length - 1 })).sort((a, b) => b.lines - a.lines);
console.log(`largest ${top}:`);
for (const { file, lines } of sizes.slice(0, top)) console.log(`  ${String(lines).padStart(5)} ${relative(file)}`);
process.exitCode = components.length > 0 ? 1 : 0;
