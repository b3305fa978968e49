// The dataset Train will read, in one line beside the button: loading (with its progress), ready,
// or why not. The Datasets panel below has the whole story.
import { formatSize } from '../data/store';
import { PHASES, useDatasets } from './DatasetsPanel';

export function DatasetStatus() {
  const { busy, progress, active, error } = useDatasets();
  if (busy)
    return (
      <div className="dataset-status" data-testid="dataset-status">
        <progress max={progress?.totalBytes || undefined} value={progress?.bytes} aria-label="Loading the dataset" />
        <span className="small">{progress ? `${PHASES[progress.phase]} · ${formatSize(progress.bytes)} of ${formatSize(progress.totalBytes)}` : 'Loading the dataset…'}</span>
      </div>
    );
  return (
    <p className="dataset-status small" data-testid="dataset-status">
      {active
        ? `${active.manifest.title}: ${active.train.count.toLocaleString('en-US')} training and ${active.test.count.toLocaleString('en-US')} test images, ready${active.storeError ? ', for this visit only: the browser could not store it (see Datasets below).' : '.'}`
        : error
          ? 'The dataset did not load (see Datasets below).'
          : 'No dataset loaded yet (see Datasets below).'}
    </p>
  );
}
