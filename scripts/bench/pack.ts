// `npm run bench:pack`: writes .benchpack/, what a bare x86-64 Linux machine with a GPU driver but
// no Node needs to run `bench -- kernels|train` (scripts/bench/remote.sh unpacks and runs it):
//   node.xz                                    this Node binary
//   bench.mjs, chunks/                         scripts/bench.ts bundled to plain JS, tfjs and shaders included
//   torch_vit.py, tessera_tokens/              the PyTorch peer and the package of its model, beside the bundle
//   node_modules/webgpu/{package.json,index.js} the webgpu package's glue, which loads dawn.node beside it
//   node_modules/webgpu/dist/linux-x64/dawn.node.xz
//   debs/*.deb                                 the Vulkan loader, for a machine that has none
// The pack must travel inside a 64 MiB working tree, so the two binaries go as xz -9.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';

const PACK = '.benchpack';
const MAX_BYTES = 64 * 2 ** 20;
const WEBGPU = 'node_modules/webgpu';
const DAWN = 'dist/linux-x64/dawn.node';
// The Vulkan loader, and the GL dispatch libraries NVIDIA's Vulkan driver (libGLX_nvidia) loads.
const VULKAN_DEBS = ['libvulkan1', 'libglvnd0', 'libglx0', 'libgl1', 'libegl1', 'libopengl0', 'libgles2'];

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the pack carries this Node binary, which must be linux-x64 (this is ${process.platform}-${process.arch})`);
mkdirSync(join(PACK, WEBGPU, 'dist/linux-x64'), { recursive: true });
rmSync(join(PACK, 'chunks'), { recursive: true, force: true }); // hashed names: last build's would stay

console.log('bundling scripts/bench.ts ...');
await build({
  configFile: false, // the page's config (React plugin, public/) has nothing for a Node bundle
  logLevel: 'warn',
  publicDir: false,
  // Vite's own build, since src/gpu/shaders.ts loads the WGSL files through import.meta.glob.
  build: {
    ssr: 'scripts/bench.ts',
    outDir: PACK,
    emptyOutDir: false,
    target: 'node20',
    minify: false, // a stack trace from the GPU machine should be readable
    // The dynamic imports (tfjs) stay chunks of their own: inlined, they would run after bench.ts's top-level await.
    rollupOptions: {
      output: {
        entryFileNames: 'bench.mjs',
        chunkFileNames: 'chunks/[name]-[hash].mjs',
        // tfjs calls require('util') and the like at run time, which an ES module does not have.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    },
  },
  // Everything bundled but webgpu, whose glue must sit beside dawn.node.
  ssr: { target: 'node', noExternal: true, external: ['webgpu'] },
});
copyFileSync('scripts/bench/torch_vit.py', join(PACK, 'torch_vit.py'));
cpSync('python/tessera_tokens', join(PACK, 'tessera_tokens'), { recursive: true, filter: (f) => !f.includes('__pycache__') });
for (const f of ['package.json', 'index.js']) copyFileSync(join(WEBGPU, f), join(PACK, WEBGPU, f));

xz(process.execPath, join(PACK, 'node.xz'));
xz(join(WEBGPU, DAWN), join(PACK, WEBGPU, DAWN + '.xz'));
const missingDebs = fetchDebs(join(PACK, 'debs'));

const files = listFiles(PACK);
const total = files.reduce((s, f) => s + statSync(f).size, 0);
for (const f of files) console.log(`${(statSync(f).size / 2 ** 20).toFixed(2).padStart(8)} MiB  ${f}`);
console.log(`${(total / 2 ** 20).toFixed(2).padStart(8)} MiB  total (limit ${MAX_BYTES / 2 ** 20} MiB)`);
if (missingDebs) console.warn(`\nMISSING from the pack: the Vulkan loader packages (${missingDebs}). remote.sh then runs only where libvulkan.so.1 is installed.`);
if (total > MAX_BYTES) throw new Error(`the pack is ${total} bytes, over the ${MAX_BYTES}-byte limit`);

/** xz -9 src to dst, unless dst is newer than src (compressing Node takes minutes). */
function xz(src: string, dst: string): void {
  if (existsSync(dst) && statSync(dst).mtimeMs > statSync(src).mtimeMs) return;
  console.log(`xz -9 ${src} ...`);
  execFileSync('sh', ['-c', 'xz -9 -T0 -c "$0" > "$1.tmp" && mv "$1.tmp" "$1"', src, dst], { stdio: 'inherit' });
}

/**
 * The Vulkan loader packages for amd64 from Debian's archive, through apt with its own package lists
 * (the host's may be for another architecture). Returns what could not be fetched, with why, or ''.
 */
function fetchDebs(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const lists = join(tmpdir(), 'tessera-apt-amd64');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`, `-oDir::Cache=${lists}`, '-oAPT::Sandbox::User=root', '-qq'];
  try {
    console.log('apt-get update (amd64 lists) and download ...');
    execFileSync('apt-get', [...o, 'update'], { stdio: 'inherit' });
    execFileSync('apt-get', [...o, 'download', ...VULKAN_DEBS], { cwd: dir, stdio: 'inherit' });
  } catch (err) {
    return `${VULKAN_DEBS.join(' ')}: ${(err as Error).message.split('\n')[0]}`;
  }
  const got = readdirSync(dir);
  const missing = VULKAN_DEBS.filter((p) => !got.some((f) => f.startsWith(p + '_')));
  return missing.length ? `${missing.join(' ')}: not downloaded` : '';
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}
