// Every kernel's WGSL source, bundled from shaders/*.wgsl. Works in the page, in Vitest and in
// the vite-node CLI, since all three go through Vite's transform.
const files = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

const sources = new Map<string, string>();
for (const [path, text] of Object.entries(files)) sources.set(path.replace(/^.*\//, '').replace(/\.wgsl$/, ''), text);

// WGSL has no includes; a line `//!include name` pastes shaders/name.wgsl once (e.g. the PRNG).
const INCLUDE = /^\s*\/\/!include\s+([\w-]+)\s*$/gm;

// WGSL sizes private arrays with const expressions only (an override will not do), so a kernel
// whose register tile varies declares it as `const NAME = value; //!define` and the host may
// replace the value per variant (e.g. matmul's TM x TN block). Likewise a type: `alias NAME = f32;
// //!define` may become f16 (the source then gets `enable f16;`). The file compiles as it stands.
const DEFINE = /^(\s*(const|alias)\s+(\w+)\s*(?::\s*\w+)?\s*=\s*)[^;]+;(\s*\/\/!define)\s*$/gm;

export type Defines = Readonly<Record<string, number | 'f32' | 'f16'>>;

export function shaderSource(name: string, defines: Defines = {}): string {
  const replaced = new Set<string>();
  const text = withIncludes(name, new Set()).replace(DEFINE, (line, head: string, kind: string, key: string, tail: string) => {
    if (!(key in defines)) return line;
    const v = defines[key];
    replaced.add(key);
    if (kind === 'alias') {
      if (v !== 'f32' && v !== 'f16') throw new Error(`shader ${name}: type define ${key} must be f32 or f16, got ${v}`);
      return `${head}${v};${tail}`;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`shader ${name}: define ${key} must be a non-negative integer, got ${v}`);
    return `${head}${v}u;${tail}`;
  });
  const unknown = Object.keys(defines).filter((k) => !replaced.has(k));
  if (unknown.length) throw new Error(`shader ${name} has no \`//!define\` const or alias named ${unknown.join(', ')}`);
  // Directives precede every declaration; a leading `enable` line is one.
  return Object.values(defines).includes('f16') ? `enable f16;\n${text}` : text;
}

function withIncludes(name: string, seen: Set<string>): string {
  const text = sources.get(name);
  if (text === undefined) throw new Error(`No shader named "${name}" in shaders/ (have: ${[...sources.keys()].join(', ')})`);
  seen.add(name);
  return text.replace(INCLUDE, (_, dep: string) => (seen.has(dep) ? '' : withIncludes(dep, seen)));
}
