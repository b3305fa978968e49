// The compute engine: tensors, a pipeline cache, many dispatches per command buffer, and one
// mapping per readback. It knows nothing about layers; src/ops builds them on `dispatch`.
import { WebGPUError, type AcquiredDevice, type AdapterReport } from './device';
import { shaderSource, type Defines } from './shaders';

/** Element types; f16 (2 bytes, bit patterns on the host) needs the adapter's `shader-f16`. */
export type DType = 'f32' | 'i32' | 'u32' | 'f16';
export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : D extends 'u32' ? Uint32Array : Uint16Array;

const BYTES: Record<DType, number> = { f32: 4, i32: 4, u32: 4, f16: 2 };
const ARRAYS = { f32: Float32Array, i32: Int32Array, u32: Uint32Array, f16: Uint16Array } as const;

/**
 * A GPU buffer, or a slice of one, with a shape. Row-major; elements of 4 bytes (2 for f16). Slices let a
 * model keep all parameters (and all gradients) in one flat buffer, so the optimizer is a single
 * dispatch, while each layer still binds just its own weights.
 */
export class Tensor<D extends DType = DType> {
  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: D,
    /** Element offset into the buffer. */
    readonly offset = 0,
    /** The engine's set of live buffers, which destroy() leaves (Engine.memory counts it). */
    private readonly live?: Set<GPUBuffer>,
  ) {}
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get bytesPerElement(): number {
    return BYTES[this.dtype];
  }
  get byteLength(): number {
    return this.size * this.bytesPerElement;
  }
  /**
   * A slice of `shape` starting `offset` elements into this tensor. WebGPU binds storage at
   * offsets that are multiples of minStorageBufferOffsetAlignment (256 bytes on most devices), so
   * slices start at multiples of VIEW_ALIGN elements. One dispatch may not write a view of a
   * buffer while it reads another view of the same buffer: WebGPU tracks usage per buffer.
   */
  view(offset: number, shape: readonly number[]): Tensor<D> {
    const t = new Tensor(this.buffer, shape, this.dtype, this.offset + offset, this.live);
    if ((t.offset * this.bytesPerElement) % (4 * VIEW_ALIGN) !== 0) throw new Error(`tensor view at element ${t.offset}: not ${4 * VIEW_ALIGN}-byte aligned`);
    if (offset < 0 || offset + t.size > this.size) throw new Error(`tensor view [${offset}, +${t.size}) outside [0, ${this.size})`);
    return t;
  }
  /** Destroys the underlying buffer (every view of it too). */
  destroy(): void {
    this.live?.delete(this.buffer);
    this.buffer.destroy();
  }
}

/** Element alignment of tensor views: 256 bytes, the largest minStorageBufferOffsetAlignment WebGPU allows. */
export const VIEW_ALIGN = 64;

/** Packs a uniform struct of 4-byte scalars in declaration order. */
export class Params {
  private readonly view: DataView;
  private n = 0;
  constructor(capacity = 32) {
    this.view = new DataView(new ArrayBuffer(capacity * 4));
  }
  u32(v: number): this {
    this.view.setUint32(4 * this.n++, v >>> 0, true);
    return this;
  }
  i32(v: number): this {
    this.view.setInt32(4 * this.n++, v | 0, true);
    return this;
  }
  f32(v: number): this {
    this.view.setFloat32(4 * this.n++, v, true);
    return this;
  }
  /** Bytes padded to 16, the granularity of uniform struct sizes. */
  bytes(): Uint8Array {
    return new Uint8Array(this.view.buffer, 0, Math.max(16, Math.ceil(this.n / 4) * 16));
  }
}

export interface Dispatch {
  /** File name in shaders/ without .wgsl. */
  shader: string;
  entry?: string;
  /** Values of the shader's `override` constants; each combination is its own cached pipeline. */
  constants?: Record<string, number | boolean>;
  /** Values of the shader's `//!define` consts (src/gpu/shaders.ts); each combination is its own module. */
  defines?: Defines;
  /** Bound at @group(0) @binding(0) as a uniform struct, when given. */
  params?: Params;
  /** Bound at @binding(1), @binding(2), ... in order. */
  buffers: (Tensor | GPUBuffer)[];
  workgroups: readonly [number, number?, number?];
}

const UNIFORM_ARENA_BYTES = 1 << 18;
const MAX_WORKGROUPS = 65535;

/**
 * Dispatches recorded before the engine submits on its own. A GPU that runs one submission for
 * about 2 s is reset by Windows (TDR), and a training loop records many steps between readbacks;
 * submitting every so many dispatches keeps each submission to a fraction of a step on a slow GPU
 * (`npm run bench -- train` prints the longest submission's GPU time where timestamps exist).
 */
export const MAX_DISPATCHES_PER_SUBMISSION = 64;

/**
 * Compute passes per submission that get GPU timestamps: a step records one or a few, and a kernel
 * profile one per dispatch (it submits early rather than leave a pass untimed).
 */
const TIMED_PASSES = MAX_DISPATCHES_PER_SUBMISSION;

/** GPU time of the submissions since the last reset, from timestamp queries. */
export interface SubmissionTimes {
  submissions: number;
  maxMs: number;
  totalMs: number;
}

/** GPU time per kernel (its pipeline's label: shader, defines, entry and override constants) since profiling started. */
export type KernelTimes = Map<string, { calls: number; ms: number }>;

/**
 * Workgroups for `invocations` invocations in groups of `wg`, folded into y once x would pass the
 * 65535 limit (30M elements need 117K groups). Kernels recover the flat index as
 * (wid.y * nwg.x + wid.x) * wg + lid and bounds-check it, since the fold can overshoot.
 */
export function grid(invocations: number, wg: number): [number, number] {
  const groups = Math.ceil(invocations / wg);
  const y = Math.ceil(groups / MAX_WORKGROUPS);
  return [Math.ceil(groups / y), y];
}

/** How long a failed readback waits for the device's lost promise before reporting the failure itself. */
const LOST_GRACE_MS = 3000;

export class Engine {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Tensors' buffers not yet destroyed: what memory() counts, so a soak can see a leak. */
  private readonly liveBuffers = new Set<GPUBuffer>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniformAlign: number;
  private readonly uniformCpu = new Uint8Array(UNIFORM_ARENA_BYTES);
  private readonly uniformGpu: GPUBuffer;
  /** A 16-byte buffer to bind where a kernel variant ignores an input (e.g. matmul without bias). */
  readonly placeholder: GPUBuffer;
  private uniformUsed = 0;
  private pendingErrors: Promise<(GPUError | null)[]>[] = [];
  private lostInfo: GPUDeviceLostInfo | null = null;
  /** Settles when the device is lost (and lostInfo is set). */
  private readonly lost: Promise<void>;
  /** Dispatches recorded since creation; benchmarks and tests read it. */
  dispatchCount = 0;
  private dispatchesInEncoder = 0;
  /**
   * Timestamp queries, two per compute pass, when timing is on and the adapter has them. With
   * `kernels`, each dispatch gets a pass of its own, named in `labels` by timed pass.
   */
  private timer: { on: boolean; querySet: GPUQuerySet; resolve: GPUBuffer; passes: number; labels: string[]; kernels: KernelTimes | null } | null = null;
  private times: SubmissionTimes = { submissions: 0, maxMs: 0, totalMs: 0 };
  private pendingTimes: Promise<void>[] = [];

  constructor(acquired: AcquiredDevice) {
    this.device = acquired.device;
    this.report = acquired.report;
    this.uniformAlign = this.device.limits.minUniformBufferOffsetAlignment;
    this.uniformGpu = this.device.createBuffer({
      label: 'uniform-arena',
      size: UNIFORM_ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.placeholder = this.device.createBuffer({ label: 'placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    this.lost = acquired.lost.then((info) => {
      this.lostInfo = info;
    });
  }

  /**
   * Times every submission on the GPU from now on (timestamp-query); false where the adapter has
   * no timestamps. Costs a small readback per submission, so benchmarks turn it on, training not.
   */
  startTiming(): boolean {
    if (!this.device.features.has('timestamp-query')) return false;
    this.flush();
    this.timer ??= {
      on: true,
      querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * TIMED_PASSES }),
      resolve: this.device.createBuffer({ label: 'timestamps', size: 16 * TIMED_PASSES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
      passes: 0,
      labels: [],
      kernels: null,
    };
    this.timer.on = true;
    this.timer.kernels = null;
    this.times = { submissions: 0, maxMs: 0, totalMs: 0 };
    return true;
  }

  /**
   * Times every dispatch on the GPU from now on, each in a compute pass of its own, summed per
   * kernel (takeKernelTimes); false where the adapter has no timestamps. The extra passes and
   * submissions cost time of their own: `npm run bench -- profile` prints an untimed step beside.
   */
  startKernelProfile(): boolean {
    if (!this.startTiming()) return false;
    this.timer!.kernels = new Map();
    return true;
  }

  /**
   * Ends the profile and all timing: what is recorded from this call on runs untimed. Resolves to
   * the GPU time per kernel since startKernelProfile, once every submission's times are in.
   */
  async takeKernelTimes(): Promise<KernelTimes> {
    const t = this.timer;
    if (!t?.on || !t.kernels) throw new Error('takeKernelTimes: startKernelProfile was not called');
    const kernels = t.kernels;
    this.flush();
    t.on = false;
    t.kernels = null;
    await Promise.all(this.pendingTimes.splice(0));
    return kernels;
  }

  /** GPU time per submission since startTiming (or the last call), once every submission's times are in. */
  async takeTimes(): Promise<SubmissionTimes> {
    this.flush();
    await Promise.all(this.pendingTimes.splice(0));
    const t = this.times;
    this.times = { submissions: 0, maxMs: 0, totalMs: 0 };
    return t;
  }

  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  private checkAlive(): void {
    if (this.lostInfo) {
      throw new WebGPUError('device-lost', `The GPU device was lost (${this.lostInfo.reason}): ${this.lostInfo.message || 'no detail'}`);
    }
  }

  // ---- tensors -------------------------------------------------------------------------------

  tensor<D extends DType = 'f32'>(shape: readonly number[], dtype: D = 'f32' as D, data?: ArrayLike<number>, label?: string): Tensor<D> {
    this.checkAlive();
    const size = shape.reduce((a, b) => a * b, 1);
    if (data && data.length !== size) throw new Error(`tensor ${label ?? ''}: ${data.length} values for shape [${shape}]`);
    const buffer = this.device.createBuffer({
      label: label ?? `tensor[${shape}]`,
      // A zero-size binding is invalid, and bindings are whole 4-byte words (two f16 each).
      size: Math.max(4, Math.ceil((size * BYTES[dtype]) / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      mappedAtCreation: data !== undefined,
    });
    if (data) {
      new ARRAYS[dtype](buffer.getMappedRange()).set(data);
      buffer.unmap();
    }
    this.liveBuffers.add(buffer);
    return new Tensor(buffer, shape, dtype, 0, this.liveBuffers);
  }

  /** Writes host data into an existing tensor (queued; ordered with dispatches after a flush). */
  write(t: Tensor, data: ArrayLike<number>, elementOffset = 0): void {
    const Ctor = ARRAYS[t.dtype];
    const arr = data instanceof Ctor ? data : Ctor.from(data as ArrayLike<number>);
    // Writes land on the queue timeline, so commands recorded earlier must be submitted first.
    this.flush();
    this.device.queue.writeBuffer(t.buffer, (t.offset + elementOffset) * t.bytesPerElement, arr.buffer, arr.byteOffset, arr.byteLength);
  }

  // ---- pipelines and dispatch ----------------------------------------------------------------

  private pipeline(shader: string, entry: string, constants: Record<string, number | boolean> | undefined, defines: Defines | undefined): GPUComputePipeline {
    const keyOf = (o: Readonly<Record<string, number | boolean | string>> | undefined) => (o ? Object.keys(o).sort().map((k) => `${k}=${typeof o[k] === 'boolean' ? Number(o[k]) : o[k]}`).join(',') : '');
    const constKey = keyOf(constants);
    const moduleKey = defines ? `${shader}[${keyOf(defines)}]` : shader;
    const key = `${moduleKey}:${entry}:${constKey}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    let module = this.modules.get(moduleKey);
    if (!module) {
      module = this.device.createShaderModule({ label: moduleKey, code: shaderSource(shader, defines) });
      this.modules.set(moduleKey, module);
    }
    this.device.pushErrorScope('validation');
    const numeric: Record<string, number> = {};
    for (const [k, v] of Object.entries(constants ?? {})) numeric[k] = Number(v);
    p = this.device.createComputePipeline({
      label: `${moduleKey}.${entry}${constKey ? `{${constKey}}` : ''}`,
      layout: 'auto',
      compute: { module, entryPoint: entry, constants: numeric },
    });
    this.pendingErrors.push(this.device.popErrorScope().then((e) => [e]));
    this.pipelines.set(key, p);
    return p;
  }

  private beginPass(): GPUComputePassEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    if (!this.pass) {
      const t = this.timer?.on ? this.timer : null;
      // A profile submits rather than leave a dispatch's pass untimed.
      if (t?.kernels && t.passes === TIMED_PASSES) {
        this.flush();
        return this.beginPass();
      }
      const timed = t && t.passes < TIMED_PASSES ? t.passes++ : -1;
      this.pass = this.encoder.beginComputePass(
        timed >= 0 ? { timestampWrites: { querySet: t!.querySet, beginningOfPassWriteIndex: 2 * timed, endOfPassWriteIndex: 2 * timed + 1 } } : {},
      );
    }
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    const pass = this.beginPass();
    pass.end();
    this.pass = null;
    return this.encoder!;
  }

  /** Records one compute dispatch; nothing runs until flush() or read(). */
  dispatch(d: Dispatch): void {
    this.checkAlive();
    const [x, y = 1, z = 1] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    if (x > MAX_WORKGROUPS || y > MAX_WORKGROUPS || z > MAX_WORKGROUPS) {
      throw new Error(`${d.shader}: ${x}x${y}x${z} workgroups exceed the per-dimension limit ${MAX_WORKGROUPS}`);
    }
    const entry = d.entry ?? 'main';
    const pipeline = this.pipeline(d.shader, entry, d.constants, d.defines);
    const entries: GPUBindGroupEntry[] = [];
    if (d.params) {
      const bytes = d.params.bytes();
      if (this.uniformUsed + bytes.byteLength > UNIFORM_ARENA_BYTES) this.flush();
      this.uniformCpu.set(bytes, this.uniformUsed);
      entries.push({ binding: 0, resource: { buffer: this.uniformGpu, offset: this.uniformUsed, size: bytes.byteLength } });
      this.uniformUsed += Math.ceil(bytes.byteLength / this.uniformAlign) * this.uniformAlign;
    }
    d.buffers.forEach((b, i) =>
      entries.push({ binding: i + 1, resource: b instanceof Tensor ? { buffer: b.buffer, offset: b.offset * b.bytesPerElement, size: Math.max(4, Math.ceil(b.byteLength / 4) * 4) } : { buffer: b } }),
    );
    const bindGroup = this.device.createBindGroup({ label: `${d.shader}.${entry}`, layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.beginPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (this.timer?.on && this.timer.kernels) {
      this.timer.labels[this.timer.passes - 1] = pipeline.label;
      this.endPass();
    }
    if (++this.dispatchesInEncoder >= MAX_DISPATCHES_PER_SUBMISSION) this.flush();
  }

  /** Copies src into dst (whole tensors, or `count` elements from the given element offsets). */
  copy(src: Tensor, dst: Tensor, count = src.size, srcOffset = 0, dstOffset = 0): void {
    this.checkAlive();
    if (src.dtype !== dst.dtype) throw new Error(`copy: ${src.dtype} into ${dst.dtype}`);
    const b = src.bytesPerElement;
    this.endPass().copyBufferToBuffer(src.buffer, (src.offset + srcOffset) * b, dst.buffer, (dst.offset + dstOffset) * b, count * b);
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.endPass();
    const readTimes = this.resolveTimes(this.encoder);
    if (this.uniformUsed > 0) this.device.queue.writeBuffer(this.uniformGpu, 0, this.uniformCpu, 0, this.uniformUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.uniformUsed = 0;
    this.dispatchesInEncoder = 0;
    if (readTimes) this.pendingTimes.push(readTimes());
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    this.pendingErrors.push(Promise.all([validation, oom]));
  }

  /**
   * With timing on, copies this submission's timestamps out at its end; the returned function,
   * called after the submit, maps them and adds the submission's GPU time (its passes' sum).
   */
  private resolveTimes(encoder: GPUCommandEncoder): (() => Promise<void>) | null {
    const t = this.timer;
    if (!t?.on || t.passes === 0) return null;
    const n = t.passes;
    t.passes = 0;
    const labels = t.labels.splice(0);
    const kernels = t.kernels;
    const staging = this.device.createBuffer({ label: 'timestamps.read', size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(t.querySet, 0, 2 * n, t.resolve, 0);
    encoder.copyBufferToBuffer(t.resolve, 0, staging, 0, 16 * n);
    return async () => {
      try {
        await staging.mapAsync(GPUMapMode.READ);
        const ns = new BigInt64Array(staging.getMappedRange());
        let total = 0;
        for (let i = 0; i < n; i++) {
          const ms = Number(ns[2 * i + 1] - ns[2 * i]) / 1e6;
          total += ms;
          const label = labels[i];
          if (kernels && label !== undefined) {
            const k = kernels.get(label) ?? { calls: 0, ms: 0 };
            kernels.set(label, { calls: k.calls + 1, ms: k.ms + ms });
          }
        }
        this.times.submissions++;
        this.times.totalMs += total;
        this.times.maxMs = Math.max(this.times.maxMs, total);
      } catch {
        // A lost device: the run reports that, not a missing timestamp.
      } finally {
        staging.destroy();
      }
    };
  }

  /** Throws the first WebGPU error raised by anything submitted so far, naming the kernel. */
  async checkErrors(): Promise<void> {
    const pending = this.pendingErrors;
    this.pendingErrors = [];
    for (const errors of await Promise.all(pending)) {
      for (const e of errors) {
        if (e) throw new Error(`WebGPU ${e.constructor?.name ?? 'error'}: ${e.message}`);
      }
    }
    this.checkAlive();
  }

  /** Waits for all submitted work and surfaces errors. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Reads several tensors back with a single staging buffer and a single map. */
  async read<T extends Tensor[]>(...tensors: T): Promise<{ [K in keyof T]: T[K] extends Tensor<infer D> ? TypedArrayOf<D> : never }> {
    this.checkAlive();
    const offsets: number[] = [];
    let total = 0;
    for (const t of tensors) {
      offsets.push(total);
      total += Math.ceil(t.byteLength / 256) * 256;
    }
    const staging = this.device.createBuffer({ label: 'readback', size: Math.max(4, total), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.endPass();
    // Copies move whole 4-byte words: an f16 tensor of odd length brings its padding along.
    const words = (t: Tensor) => Math.ceil(t.byteLength / 4) * 4;
    tensors.forEach((t, i) => encoder.copyBufferToBuffer(t.buffer, t.offset * t.bytesPerElement, staging, offsets[i], words(t)));
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      // A lost device fails the map; its lost promise may settle later (over a second on a busy
      // CPU driver), and the caller should hear "device lost", not "map failed".
      await Promise.race([this.lost, new Promise((r) => setTimeout(r, LOST_GRACE_MS))]);
      this.checkAlive();
      await this.checkErrors();
      throw e;
    }
    const mapped = staging.getMappedRange();
    const out = tensors.map((t, i) => {
      return new ARRAYS[t.dtype](mapped.slice(offsets[i], offsets[i] + t.byteLength));
    });
    staging.unmap();
    staging.destroy();
    await this.checkErrors();
    return out as never;
  }

  /** The tensors this engine holds on the device: how many buffers and their bytes. */
  memory(): { buffers: number; bytes: number } {
    let bytes = 0;
    for (const b of this.liveBuffers) bytes += b.size;
    return { buffers: this.liveBuffers.size, bytes };
  }

  destroy(): void {
    this.liveBuffers.clear();
    this.timer?.querySet.destroy();
    this.timer?.resolve.destroy();
    this.uniformGpu.destroy();
    this.placeholder.destroy();
    this.device.destroy();
  }
}
