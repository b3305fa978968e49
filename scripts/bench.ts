// Benchmarks, each against a peer measured in the same process on the same device.
// Usage: npm run bench -- kernels
import { benchKernels } from './bench/kernels';
import { benchTrain } from './bench/train';

const BENCHES: Record<string, () => Promise<void>> = { kernels: benchKernels, train: benchTrain };

const name = process.argv.slice(2).find((a) => a !== '--');
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>`);
  process.exit(2);
}
await bench();
process.exit(0);
