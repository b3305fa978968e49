// Benchmarks: throughput against a peer measured in the same process on the same device (kernels,
// train), a recipe's time to a test accuracy (time-to-accuracy), a recipe's cost in FLOPs (flops),
// the page's image import (import), and where a recipe's step spends its GPU time (profile).
// Usage: npm run bench -- kernels | train | time-to-accuracy | flops | import | profile
import { benchFlops } from './bench/flops';
import { benchImport } from './bench/import';
import { benchKernels } from './bench/kernels';
import { benchProfile } from './bench/profile';
import { benchTimeToAccuracy } from './bench/time_to_accuracy';
import { benchTrain } from './bench/train';

const BENCHES: Record<string, () => Promise<void>> = { flops: benchFlops, import: benchImport, kernels: benchKernels, profile: benchProfile, train: benchTrain, 'time-to-accuracy': benchTimeToAccuracy };

const name = process.argv.slice(2).find((a) => a !== '--');
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>`);
  process.exit(2);
}
await bench();
process.exit(0);
