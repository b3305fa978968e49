// TensorFlow.js's WebGPU backend on the same Dawn instance as our engine: the peer every
// benchmark ratio is measured against.
import { nodeGPU } from '../../src/gpu/node';

export type TF = typeof import('@tensorflow/tfjs');

interface WebGPUBackendLike {
  device: GPUDevice;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export async function loadTfjs(): Promise<{ tf: TF; sync: () => Promise<void> }> {
  // tfjs finds WebGPU through navigator.gpu; Node 20 has no navigator.
  (globalThis as { navigator?: unknown }).navigator = { gpu: nodeGPU() };
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its WebGPU backend on this adapter');
  await tf.ready();
  const backend = tf.backend() as unknown as WebGPUBackendLike;
  // tfjs batches commands and submits lazily: submit, then wait for the queue, like our sync().
  const sync = async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
  return { tf, sync };
}
