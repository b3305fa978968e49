// Every kernel's WGSL source, bundled from shaders/*.wgsl. Works in the page, in Vitest and in
// the vite-node CLI, since all three go through Vite's transform.
const files = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

const sources = new Map<string, string>();
for (const [path, text] of Object.entries(files)) sources.set(path.replace(/^.*\//, '').replace(/\.wgsl$/, ''), text);

// WGSL has no includes; a line `//!include name` pastes shaders/name.wgsl once (e.g. the PRNG).
const INCLUDE = /^\s*\/\/!include\s+([\w-]+)\s*$/gm;

export function shaderSource(name: string, seen = new Set<string>()): string {
  const text = sources.get(name);
  if (text === undefined) throw new Error(`No shader named "${name}" in shaders/ (have: ${[...sources.keys()].join(', ')})`);
  seen.add(name);
  return text.replace(INCLUDE, (_, dep: string) => (seen.has(dep) ? '' : shaderSource(dep, seen)));
}
