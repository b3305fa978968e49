// The layers of src/, lowest first: a folder may import its own layer and those below it, never
// one above. `npm test` runs this check (npm run lint:layers); README.md draws the same picture.
const LAYERS = ['util', 'gpu', 'ops', 'nn', 'formats', 'data', 'augment', 'train', 'worker', 'ui'];

const above = (i) => LAYERS.slice(i + 1).join('|');
module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `${layer}-imports-upward`,
      comment: `src/${layer}/ sits below ${LAYERS.slice(i + 1).join(', ')}: move the shared code down, or the importer up`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${above(i)})/` },
    })),
    {
      name: 'no-cycles',
      comment: 'modules must not import each other in a circle',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-imports-tooling',
      comment: 'the product (src/) never imports scripts, tests or e2e',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|tests|e2e)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '[.](css|wgsl|png|json)' },
  },
};
