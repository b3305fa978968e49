// Node only: Dawn through the `webgpu` npm package. Tests, benchmarks and the CLI use this; the
// page never imports it.
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
