// The checkpoints this browser holds (IndexedDB): download one as its safetensors file, delete
// one, or upload a file, which is checked and stored under the run it belongs to for this dataset
// (then Resume continues it, or a fine-tune starts from it); one whose model does not fit
// the dataset is refused.
import { useState } from 'react';
import { checkLayout, decodeCheckpoint } from '../formats/checkpoint';
import type { TrainData } from '../data/examples';
import { taskLayout } from '../train/tasks';
import { deleteCheckpoint, loadCheckpoint, saveCheckpoint } from '../data/checkpoint_store';
import { normalizeConfig } from '../train/presets';
import { runId } from '../worker/protocol';
import { useTraining } from './trainStore';
import { errorMessage } from '../util/errors';

const fileName = (id: string) => `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.safetensors`;

/** `data`: the active dataset, which an uploaded checkpoint's model must fit. */
export function Checkpoints({ dataset, data }: { dataset: string; data: TrainData | null }) {
  const t = useTraining();
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const mine = t.stored.filter((id) => id.startsWith(`${dataset}/`)).sort();

  const download = async (id: string) => {
    const bytes = await loadCheckpoint(id);
    if (!bytes) return setMessage({ error: true, text: `${id} is no longer stored` });
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName(id);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const upload = async (file: File) => {
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const state = decodeCheckpoint(bytes);
      const config = normalizeConfig(state.config);
      // A model for another dataset (its codes, classes or grid) would only fail later, on Resume.
      if (data) checkLayout(state, taskLayout(config, data));
      const id = runId(dataset, config);
      await saveCheckpoint(id, bytes);
      await t.refreshStored();
      setMessage({ error: false, text: `stored ${file.name} as ${id} (step ${state.step} of ${config.steps})` });
    } catch (err) {
      // Nothing was stored: a bad file changes nothing the browser already had.
      setMessage({ error: true, text: `${file.name} was not stored: ${errorMessage(err)}` });
    }
  };

  return (
    <div className="checkpoints" data-testid="checkpoints">
      <h3>Checkpoints in this browser</h3>
      {mine.length === 0 && <p className="muted small">None yet for {dataset}: training saves one at every checkpoint step and when paused.</p>}
      <ul>
        {mine.map((id) => (
          <li key={id}>
            <span>{id.slice(dataset.length + 1)}</span>{' '}
            <button type="button" onClick={() => void download(id)} aria-label={`download ${id}`}>
              Download
            </button>{' '}
            <button
              type="button"
              aria-label={`delete ${id}`}
              disabled={t.runId === id && (t.status === 'training' || t.status === 'starting')}
              onClick={() => void deleteCheckpoint(id).then(() => t.refreshStored())}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <label>
        upload a checkpoint <input type="file" accept=".safetensors,.ckpt" data-testid="checkpoint-file" onChange={(ev) => ev.target.files?.[0] && void upload(ev.target.files[0])} />
      </label>
      {message && (
        <p className={message.error ? 'message error' : 'muted small'} role={message.error ? 'alert' : undefined} data-testid="checkpoint-message">
          {message.text}
        </p>
      )}
    </div>
  );
}
