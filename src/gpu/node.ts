// Node only: Dawn through the `webgpu` npm package. Tests, benchmarks and the CLI use this; the
// page never imports it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { acquireDevice, type AcquiredDevice, type DeviceOptions } from './device';

const INSTALL_HINT =
  'Dawn in Node needs a Vulkan driver with WebGPU support. On Debian 12 without a GPU, run as root: ' +
  '`bash scripts/ensure-test-env.sh` (it installs Mesa lavapipe from bookworm-backports; Debian 12\'s own ' +
  'Mesa 22.3 is too old). On a machine with a GPU, install its Vulkan driver.';

let gpu: GPU | undefined;

/** The process-wide Dawn instance (creating several is slow and keeps Node alive). */
export function nodeGPU(): GPU {
  if (!gpu) {
    Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, ... as in a browser
    gpu = create([]) as unknown as GPU;
  }
  return gpu;
}

export function acquireNodeDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  return acquireDevice(nodeGPU(), { noAdapterHint: INSTALL_HINT, ...options });
}

/**
 * A small key-value file for results worth keeping between runs (kernel tuning per adapter):
 * $XDG_CACHE_HOME/tessera/<name>.json, else ~/.cache/tessera/<name>.json.
 */
export function nodeFileCache(name: string): { get(key: string): Promise<string | undefined>; set(key: string, value: string): Promise<void> } {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tessera');
  const file = join(dir, `${name}.json`);
  // A missing or damaged file reads as empty, and the next set rewrites it whole.
  const load = async (): Promise<Record<string, string>> => {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return {
    get: async (key) => (await load())[key],
    set: async (key, value) => {
      await mkdir(dir, { recursive: true });
      // Write then rename, so a crash mid-write never leaves a half file.
      await writeFile(`${file}.tmp`, JSON.stringify({ ...(await load()), [key]: value }));
      await rename(`${file}.tmp`, file);
    },
  };
}
