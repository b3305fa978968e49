// The runtime's contract: actionable errors, errors that name the kernel, batched readback,
// and a lost device reported instead of silently computing nothing.
import { describe, expect, it } from 'vitest';
import { acquireDevice, WebGPUError } from '../../src/gpu/device';
import { Engine, MAX_DISPATCHES_PER_SUBMISSION, VIEW_ALIGN } from '../../src/gpu/engine';
import { acquireNodeDevice, nodeGPU } from '../../src/gpu/node';
import { accumulate, add } from '../../src/ops/elementwise';
import { matmul } from '../../src/ops/matmul';
import { testEngine } from '../helpers/gpu';

async function rejection(p: Promise<unknown>): Promise<WebGPUError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WebGPUError);
  return err as WebGPUError;
}

describe('device acquisition errors', () => {
  it('no navigator.gpu says how to get WebGPU', async () => {
    const err = await rejection(acquireDevice(undefined));
    expect(err.code).toBe('no-webgpu');
    expect(err.message).toMatch(/--enable-unsafe-webgpu/);
  });

  it('no adapter carries the install hint', async () => {
    const noAdapters = { requestAdapter: async () => null } as unknown as GPU;
    const err = await rejection(acquireDevice(noAdapters, { noAdapterHint: 'install a driver' }));
    expect(err.code).toBe('no-adapter');
    expect(err.message).toMatch(/install a driver/);
  });

  it('a missing required feature is named', async () => {
    const err = await rejection(acquireDevice(nodeGPU(), { requiredFeatures: ['no-such-feature' as GPUFeatureName] }));
    expect(err.code).toBe('missing-feature');
    expect(err.message).toMatch(/no-such-feature/);
  });

  it('requests the adapter limits, not the defaults', async () => {
    const e = await testEngine();
    expect(e.device.limits.maxStorageBufferBindingSize).toBe(e.report.limits.maxStorageBufferBindingSize);
    expect(e.report.description.length).toBeGreaterThan(0);
  });
});

describe('engine', () => {
  it('reads several tensors with one call, each with its own dtype', async () => {
    const e = await testEngine();
    const a = e.tensor([3], 'f32', [1.5, -2, 3]);
    const b = e.tensor([2, 2], 'i32', [-1, 2, -3, 4]);
    const c = e.tensor([5], 'u32', [0, 1, 2, 3, 0xffffffff]);
    const [ra, rb, rc] = await e.read(a, b, c);
    expect([...ra]).toEqual([1.5, -2, 3]);
    expect([...rb]).toEqual([-1, 2, -3, 4]);
    expect([...rc]).toEqual([0, 1, 2, 3, 0xffffffff]);
  });

  it('records many dispatches into one submission and orders writes after them', async () => {
    const e = await testEngine();
    const A = e.tensor([2, 2], 'f32', [1, 2, 3, 4]);
    const I = e.tensor([2, 2], 'f32', [1, 0, 0, 1]);
    const C = e.tensor([2, 2]);
    // C = A, then C += A twice: three dispatches before any submit.
    for (const beta of [0, 1, 1]) matmul(e, { M: 2, N: 2, K: 2, beta }, { t: A, ld: 2 }, { t: I, ld: 2 }, { t: C, ld: 2 });
    e.write(A, [0, 0, 0, 0]);
    matmul(e, { M: 2, N: 2, K: 2, beta: 1 }, { t: A, ld: 2 }, { t: I, ld: 2 }, { t: C, ld: 2 });
    const [out] = await e.read(C);
    expect([...out]).toEqual([3, 6, 9, 12]);
  });

  it('memory() counts the live tensors\' buffers once each, views and repeated destroys included', async () => {
    const e = await testEngine();
    const before = e.memory();
    const t = e.tensor([3 * VIEW_ALIGN]);
    const u = e.tensor([5], 'u32');
    // Sizes are whole 4-byte words: 3 * 64 f32 = 768 B, 5 u32 = 20 B.
    expect(e.memory()).toEqual({ buffers: before.buffers + 2, bytes: before.bytes + 768 + 20 });
    t.view(VIEW_ALIGN, [4]).destroy(); // a view's destroy frees its whole buffer
    t.destroy();
    expect(e.memory()).toEqual({ buffers: before.buffers + 1, bytes: before.bytes + 20 });
    u.destroy();
    expect(e.memory()).toEqual(before);
  });

  it('tensor views bind, read, write and copy their own slice of a shared buffer', async () => {
    const e = await testEngine();
    // Two views of one buffer may not be read and written by the same dispatch (WebGPU usage
    // scopes are per buffer), so the inputs live in a second buffer.
    const flat = e.tensor([3 * VIEW_ALIGN]);
    const inputs = e.tensor([2 * VIEW_ALIGN]);
    const a = flat.view(0, [2, 2]);
    const c = flat.view(2 * VIEW_ALIGN, [2, 2]);
    e.write(a, [1, 2, 3, 4]);
    e.copy(a, inputs.view(0, [4]));
    e.write(inputs.view(VIEW_ALIGN, [4]), [1, 0, 0, 1]);
    matmul(e, { M: 2, N: 2, K: 2, alpha: 2 }, { t: inputs.view(0, [2, 2]), ld: 2 }, { t: inputs.view(VIEW_ALIGN, [2, 2]), ld: 2 }, { t: c, ld: 2 });
    const other = e.tensor([2 * VIEW_ALIGN]);
    e.copy(c, other.view(VIEW_ALIGN, [4]));
    const [all, cOnly, copied] = await e.read(flat, c, other);
    expect([...cOnly]).toEqual([2, 4, 6, 8]);
    expect([...all.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect([...all.subarray(4, 2 * VIEW_ALIGN)].every((v) => v === 0)).toBe(true);
    expect([...copied.subarray(VIEW_ALIGN, VIEW_ALIGN + 4)]).toEqual([2, 4, 6, 8]);
    expect(() => flat.view(1, [2])).toThrow(/aligned/);
    expect(() => flat.view(2 * VIEW_ALIGN, [VIEW_ALIGN + 1])).toThrow(/outside/);
  });

  it('a validation error names the kernel that caused it', async () => {
    const e = await testEngine();
    const notStorage = e.device.createBuffer({ size: 64, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const A = e.tensor([2, 2]);
    matmul(e, { M: 2, N: 2, K: 2 }, { t: A, ld: 2 }, { t: A, ld: 2 }, { t: notStorage as never, ld: 2 });
    await expect(e.sync()).rejects.toThrow(/matmul/);
    notStorage.destroy();
  });

  it('a lost device is reported as device-lost, not ignored', async () => {
    const e = new Engine(await acquireNodeDevice());
    e.device.destroy();
    await e.device.lost;
    expect(e.isLost).toBe(true);
    expect(() => e.tensor([4])).toThrow(WebGPUError);
    expect(() => e.tensor([4])).toThrow(/lost/);
  });
});

describe('submissions', () => {
  it('submits on its own every MAX_DISPATCHES_PER_SUBMISSION dispatches, in order, and times each on the GPU', async () => {
    const e = await testEngine();
    expect(e.startTiming()).toBe(true); // lavapipe has timestamp-query
    const x = e.tensor([5], 'f32', [1, 2, 3, 4, 5]);
    const y = e.tensor([5]);
    const n = 2 * MAX_DISPATCHES_PER_SUBMISSION + 7;
    for (let i = 0; i < n; i++) accumulate(e, y, x); // y += x, n times: each reads the last one's result
    const [out] = await e.read(y);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5].map((v) => n * v));
    const t = await e.takeTimes();
    // Two full submissions, the remainder, and the readback's.
    expect(t.submissions).toBe(3);
    expect(t.maxMs).toBeGreaterThan(0);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.maxMs);
    expect((await e.takeTimes()).submissions).toBe(0);
  });

  it('profiles kernels: a timed pass per dispatch, summed by kernel, past a submission, and nothing after the profile ends', async () => {
    const e = await testEngine();
    // Big enough that each dispatch outlasts the timestamps' quantum (Dawn rounds them to tens of
    // microseconds): a 5-element kernel read 0 ms when the machine was busy.
    const size = 1 << 18;
    const values = Float32Array.from({ length: size }, (_, i) => i % 7);
    const x = e.tensor([size], 'f32', values);
    const y = e.tensor([size]);
    const z = e.tensor([size]);
    await expect(e.takeKernelTimes()).rejects.toThrow(/startKernelProfile/);
    accumulate(e, y, x); // before the profile: not counted
    expect(e.startKernelProfile()).toBe(true);
    const n = MAX_DISPATCHES_PER_SUBMISSION + 5;
    for (let i = 0; i < n; i++) accumulate(e, y, x);
    add(e, x, y, z);
    const profile = e.takeKernelTimes();
    accumulate(e, y, x); // after it: not counted
    const kernels = await profile;
    const [out] = await e.read(z);
    expect(out).toEqual(values.map((v) => (n + 2) * v));
    const names = [...kernels.keys()];
    expect(names).toHaveLength(2);
    expect(names.every((k) => k.startsWith('elementwise.main{'))).toBe(true);
    expect([...kernels.values()].map((k) => k.calls).sort((a, b) => a - b)).toEqual([1, n]);
    for (const k of kernels.values()) expect(k.ms).toBeGreaterThan(0);
  });
});
