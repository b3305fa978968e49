// Device acquisition, shared by the page (navigator.gpu) and Node (Dawn's `webgpu` package).
// The caller passes the GPU object so this module never touches the DOM or Node APIs.

export type WebGPUErrorCode = 'no-webgpu' | 'no-adapter' | 'missing-feature' | 'device-lost';

/** A WebGPU failure with a code the UI can branch on and a message that says how to fix it. */
export class WebGPUError extends Error {
  constructor(
    readonly code: WebGPUErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebGPUError';
  }
}

/** Optional features Tessera uses when present; nothing requires them. */
export const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export interface AdapterReport {
  description: string;
  vendor: string;
  architecture: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
  /** The largest subgroup the adapter may use (WebGPU allows 4 to 128), where it says. */
  subgroupMaxSize?: number;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  report: AdapterReport;
  /** Resolves when the device is lost (destroyed on purpose or not); never rejects. */
  lost: Promise<GPUDeviceLostInfo>;
}

export interface DeviceOptions {
  /** Features the caller cannot work without; missing ones raise 'missing-feature'. */
  requiredFeatures?: GPUFeatureName[];
  powerPreference?: GPUPowerPreference;
  /** Extra text appended to the 'no adapter' message, e.g. how to install a driver. */
  noAdapterHint?: string;
}

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
] as const;

/** Mesa's lavapipe (llvmpipe), the CPU driver the kernel variants for CPUs were measured on. */
export function isLavapipe(report: Pick<AdapterReport, 'description'>): boolean {
  return /llvmpipe|lavapipe/i.test(report.description);
}

/** CPU rasterisers besides lavapipe that not every browser flags with isFallbackAdapter. */
const OTHER_SOFTWARE = /swiftshader|softpipe|microsoft basic render/i;

/** A CPU implementation of WebGPU (a fallback adapter, SwiftShader, lavapipe), not a GPU. */
export function isSoftwareAdapter(report: Pick<AdapterReport, 'isFallbackAdapter' | 'description'>): boolean {
  return report.isFallbackAdapter || isLavapipe(report) || OTHER_SOFTWARE.test(report.description);
}

export function describeAdapter(adapter: GPUAdapter): AdapterReport {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) limits[name] = Number(adapter.limits[name]);
  return {
    description: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || 'unknown adapter',
    vendor: info.vendor,
    architecture: info.architecture,
    isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].map(String).sort(),
    limits,
    ...(info.subgroupMaxSize && { subgroupMaxSize: info.subgroupMaxSize }),
  };
}

/**
 * Requests an adapter and a device with the adapter's real limits and every optional feature it
 * offers. `gpu` is `navigator.gpu` in the page, or Dawn's GPU object in Node (undefined when the
 * browser has no WebGPU).
 */
export async function acquireDevice(gpu: GPU | undefined, options: DeviceOptions = {}): Promise<AcquiredDevice> {
  if (!gpu) {
    throw new WebGPUError(
      'no-webgpu',
      'This browser has no WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or Safari, ' +
        'serve the page from https:// or http://localhost (WebGPU needs a secure context), and ' +
        'in Chromium on Linux start it with --enable-unsafe-webgpu.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new WebGPUError(
      'no-adapter',
      'WebGPU is present but no GPU adapter was found.' + (options.noAdapterHint ? ' ' + options.noAdapterHint : ''),
    );
  }
  const missing = (options.requiredFeatures ?? []).filter((f) => !adapter.features.has(f));
  if (missing.length > 0) {
    throw new WebGPUError('missing-feature', `The GPU adapter lacks required feature(s): ${missing.join(', ')}.`);
  }
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  for (const f of options.requiredFeatures ?? []) if (!features.includes(f)) features.push(f);

  // Ask for the adapter's real limits: the defaults (e.g. 128 MiB storage bindings) are far below
  // what most GPUs allow, and training buffers outgrow them.
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) requiredLimits[name] = Number(adapter.limits[name]);
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  return { device, adapter, report: describeAdapter(adapter), lost: device.lost };
}
