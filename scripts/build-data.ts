// Builds a Tessera dataset package: npm run build:data -- <fashion-mnist|folder|cifar10> [dir] [options]
// (run with no arguments for the options). See scripts/data/cli.ts.
import { runBuildData } from './data/cli';

const code = await runBuildData(process.argv.slice(2), { log: (l) => console.log(l), error: (l) => console.error(l) });
// Dawn can keep Node alive after the device is destroyed; the builder is done either way.
process.exit(code);
