import { useEffect, useState } from 'react';
import { acquireDevice, WebGPUError, type AcquiredDevice } from '../gpu/device';
import { AdapterPanel } from './AdapterPanel';
import { DatasetsPanel, useDatasets } from './DatasetsPanel';
import { defaultPreset } from './defaultPreset';
import { Explainer } from './Explainer';
import { TrainPanel } from './TrainPanel';
import { errorMessage } from '../util/errors';

type DeviceState =
  | { status: 'loading' }
  | { status: 'ready'; acquired: AcquiredDevice }
  | { status: 'error'; title: string; message: string };

// One device per page: StrictMode runs effects twice in development, and a second device would
// hold GPU memory for nothing.
let pending: Promise<AcquiredDevice> | null = null;
function acquireOnce(): Promise<AcquiredDevice> {
  pending ??= acquireDevice(navigator.gpu, {
    noAdapterHint: 'Enable hardware acceleration in the browser settings, or on Linux start Chromium with --enable-unsafe-webgpu.',
  });
  return pending;
}

function describeError(e: unknown): { title: string; message: string } {
  if (e instanceof WebGPUError) {
    const titles = { 'no-webgpu': 'WebGPU is not available', 'no-adapter': 'No GPU adapter', 'missing-feature': 'Missing GPU feature', 'device-lost': 'GPU device lost' };
    return { title: titles[e.code], message: e.message };
  }
  return { title: 'Could not start WebGPU', message: errorMessage(e) };
}

export function App() {
  const [state, setState] = useState<DeviceState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    acquireOnce().then(
      (acquired) => {
        if (live) setState({ status: 'ready', acquired });
        // A lost device (driver reset, GPU process crash) cannot be reused; say so instead of
        // showing a healthy adapter.
        void acquired.lost.then((info) => {
          if (live && info.reason !== 'destroyed') {
            setState({ status: 'error', title: 'GPU device lost', message: `The page's GPU device was lost (${info.message || info.reason}). Training asks for a new device at Start or Resume; reload the page to list the adapter again.` });
          }
        });
      },
      (e: unknown) => live && setState({ status: 'error', ...describeError(e) }),
    );
    return () => {
      live = false;
    };
  }, []);

  // The worker reads the dataset from IndexedDB, so only a stored dataset can be trained on.
  const active = useDatasets((s) => s.active);
  // One the browser could not store trains from the page's copy (TrainPanel hands it to the worker).
  const trainable = active ? active.manifest.name : null;

  return (
    <main className="page">
      <header>
        <h1>Tessera</h1>
        <p className="tagline">Train Vision Transformers on VQ tokens in your browser — SeiT, SeiT++, MTO-style.</p>
        <Explainer />
      </header>
      {state.status === 'loading' && <p className="muted">Looking for a WebGPU adapter…</p>}
      {state.status === 'error' && (
        <section className="panel error" role="alert" data-testid="webgpu-error">
          <h2>{state.title}</h2>
          <p>{state.message}</p>
        </section>
      )}
      {/* The recipe a first visit gets depends on the adapter, so the dashboard waits for it. */}
      {state.status !== 'loading' && <TrainPanel dataset={trainable} home={defaultPreset(state.status === 'ready' ? state.acquired.report : null)} limits={state.status === 'ready' ? state.acquired.device.limits : undefined} />}
      <div className="below">
        <DatasetsPanel />
        {state.status === 'ready' && <AdapterPanel report={state.acquired.report} />}
      </div>
    </main>
  );
}
