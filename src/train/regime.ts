// The few-labels regime in which the studies (`npm run study`) and the page's lessons compare
// SeiT's augmentations, TokenAdapt, MTM pre-training and the mask token: 1% of Fashion-MNIST's
// labels (600 images, class-balanced), trained until the unaugmented classifier's test accuracy
// has levelled off while its training accuracy keeps rising (85-87% at 200 steps; 98% takes 400,
// which this CPU budget could not afford across a study). The three studies together took about
// 100 minutes on a 2-core CPU driver (lavapipe); the same commands run unchanged, faster, on a GPU.
export const FEW_LABELS = {
  labels: 0.01,
  batch: 128,
  /** SeiT's classifier and SeiT++'s fine-tune, per run: 43 epochs of the 600 images. */
  supervisedSteps: 200,
  finetuneSteps: 200,
  /** Test points (first 1,000 test images) along each classifier run: the study's test curves. */
  evalEvery: 40,
  /** MTM pre-training (batch 64, about one epoch of the 60,000 unlabelled images), one seed per variant; the MTO study fine-tunes its snapshots. */
  pretrainSteps: 1000,
  snapshots: [500, 1000],
  pretrainSeed: 1,
} as const;

export const describeRegime = (r = FEW_LABELS) =>
  `${100 * r.labels}% of the labels (label seed 0), batch ${r.batch}; classifiers ${r.supervisedSteps} steps (${Math.round((r.supervisedSteps * r.batch) / (60000 * r.labels))} epochs), fine-tunes ${r.finetuneSteps}; MTM pre-training ${r.pretrainSteps} steps of 64 on all 60,000 training images, without labels`;
