// The recipe options, declared once (src/train/options.ts): every entry parses from its flag and
// its URL key into the config field it names, a bad value or a task it lacks is refused by name,
// and the command line and the page give the same configs as before for the same settings.
import { describe, expect, it } from 'vitest';
import { NO_AUGMENT, SEIT_AUGMENT, SEIT_TA_AUGMENT } from '../../src/augment/token_augment';
import { applies, cliArgs, cliHelp, cliOptions, OPTIONS, overridesFromCli, problem, runName, urlKey, withOverrides, type Option, type Value } from '../../src/train/options';
import { normalizeConfig, PRESETS, preset, type TrainConfig } from '../../src/train/presets';
import { runId } from '../../src/worker/protocol';
import { decodeRecipe, encodeRecipe, type Recipe } from '../../src/ui/urlState';

const ENTRIES: readonly Option[] = OPTIONS;
const NAMES = Object.keys(PRESETS);

/** A value of the option other than the config's own, that the config accepts; undefined if none. */
function otherValue(e: Option, c: TrainConfig): Value | undefined {
  const cur = e.get(c);
  const candidates: Value[] = e.type === 'choice' ? [...e.values] : [(cur as number) * 2, (cur as number) / 2, (cur as number) + 1, (cur as number) - 1, 0.5, 0.25, 1, 2, 3, 0];
  return candidates.find((v) => v !== cur && problem(e, v, c) === null && ok(() => withOverrides(c, { [e.key]: v })));
}
const ok = (f: () => unknown) => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

describe('recipe options', () => {
  it('have one key, one flag and one URL key each', () => {
    for (const names of [ENTRIES.map((e) => e.key), ENTRIES.map((e) => e.flag), ENTRIES.map(urlKey)]) expect(new Set(names).size).toBe(names.length);
    const script = ['preset', 'json', 'data', 'checkpoint', 'resume', 'export', 'save-at', 'from', 'help'];
    expect(Object.keys(cliOptions()).filter((f) => script.includes(f))).toEqual([]);
  });

  it('every option, on every preset it applies to, goes through the command line, the URL and the run name', () => {
    for (const e of ENTRIES) {
      let tried = 0;
      for (const name of NAMES) {
        const base = preset(name);
        if (!applies(e, base)) continue;
        const v = otherValue(e, base);
        if (v === undefined) continue;
        tried++;
        const where = `${e.flag} = ${v} on ${name}`;
        const fromCli = overridesFromCli({ [e.flag]: String(v) });
        expect(fromCli, where).toEqual({ [e.key]: v });
        expect(cliArgs(fromCli), where).toEqual([`--${e.flag}`, String(v)]);
        const c = withOverrides(base, fromCli);
        expect(e.get(c), where).toBe(v);
        expect(c.preset, where).toBe(name);
        if (e.relevant && !e.relevant(c)) continue;
        const recipe = { preset: name, [e.key]: v } as Recipe;
        const q = encodeRecipe(recipe, 'quick');
        expect(new URLSearchParams(q).get(urlKey(e)), where).toBe(String(v));
        expect(decodeRecipe(q, NAMES, 'quick'), where).toEqual({ recipe, ignored: [] });
        if (e.inRunName !== false) expect(runName(c), where).toBe(`${name}+${e.flag}=${v}`);
        else expect(runName(c), where).toBe(name);
      }
      expect(tried, `${e.flag} changes some preset`).toBeGreaterThan(0);
    }
    // Flags in list order, the augmentation recipe before the settings over it, as a recipe applies them.
    expect(cliArgs({ tokenAdaptKind: 'oracle', augment: 'seit-ta', seed: 2 })).toEqual(['--seed', '2', '--augment', 'seit-ta', '--token-adapt-kind', 'oracle']);
  });

  it('name a value out of range, of the wrong type, or for a task the preset is not', () => {
    for (const e of ENTRIES) {
      if (e.type === 'choice') continue;
      const base = NAMES.map(preset).find((c) => applies(e, c))!;
      const low = e.min !== undefined ? e.min - 1 : e.above;
      if (low !== undefined) expect(() => withOverrides(base, { [e.key]: low }), e.flag).toThrow(`--${e.flag} must be `);
      if (e.max !== undefined) expect(() => withOverrides(base, { [e.key]: e.max! + 1 }), e.flag).toThrow(`--${e.flag} must be `);
      expect(() => overridesFromCli({ [e.flag]: 'abc' }), e.flag).toThrow(`--${e.flag} must be ${e.type === 'int' ? 'an integer' : 'a number'}`);
    }
    expect(() => overridesFromCli({ 'mask-token': 'fancy' })).toThrow('--mask-token must be one of plain, mto-style, got "fancy"');
    expect(() => overridesFromCli({ steps: '1.5' })).toThrow('--steps must be an integer ≥ 1, got "1.5"');
    expect(() => withOverrides(preset('quick'), { labels: 0 })).toThrow('--labels must be a number in (0, 1], got 0');
    expect(() => withOverrides(preset('mtm-quick'), { labels: 0.5 })).toThrow('--labels applies to classifier presets, not to mtm-quick (masked token modeling)');
    expect(() => withOverrides(preset('quick'), { maskToken: 'mto-style' })).toThrow('--mask-token applies to masked token modeling presets, not to quick (classifier)');
    expect(() => withOverrides(preset('pixel-quick'), { augment: 'none' })).toThrow('--augment: token augmentations need a token preset, not pixels (pixel-quick)');
    for (const e of ENTRIES) {
      const v = e.get(NAMES.map(preset).find((c) => applies(e, c))!);
      for (const name of NAMES) if (!applies(e, preset(name))) expect(() => withOverrides(preset(name), { [e.key]: v }), `${e.flag} on ${name}`).toThrow(`--${e.flag}`);
    }
  });

  it('keep the cross-option rules, each named', () => {
    expect(() => withOverrides(preset('quick'), { dim: 48, heads: 5 })).toThrow('the width (dim 48) must divide into 5 heads');
    expect(() => withOverrides(preset('quick'), { steps: 10, warmup: 10 })).toThrow('the warmup (10 steps) must be shorter than the run (10 steps)');
    // A short run keeps the preset's warmup, as before: the rule is on a warmup the user gives.
    expect(withOverrides(preset('mtm-quick'), { steps: 20 }).warmupSteps).toBe(150);
    expect(() => withOverrides(preset('mtm-quick'), { mix: 0.5 })).toThrow('pre-training has no labels to mix: give it --mix 0');
    expect(() => withOverrides(preset('quick'), { noise: 0.75, colorAdapt: 0.5 })).toThrow(/at most 1/);
  });

  it('give the same configs as the presets say for the same flags', () => {
    const flags = (name: string, argv: Record<string, string>) => withOverrides(preset(name), overridesFromCli(argv));
    const quick = PRESETS.quick;
    expect(flags('quick', {})).toEqual(quick);
    expect(flags('quick', { steps: '200', seed: '3', batch: '32', lr: '0.001', warmup: '10', 'weight-decay': '0.1', dim: '96', depth: '3', heads: '3', 'eval-every': '40' })).toEqual({
      ...quick,
      steps: 200,
      seed: 3,
      batch: 32,
      lr: 0.001,
      warmupSteps: 10,
      weightDecay: 0.1,
      evalEvery: 40,
      model: { ...quick.model, dim: 96, depth: 3, heads: 3 },
    });
    expect(flags('quick', { labels: '0.1', 'label-seed': '2', pool: 'cls', augment: 'seit-ta', 'token-adapt-kind': 'oracle' })).toEqual({
      ...quick,
      labels: 0.1,
      labelSeed: 2,
      model: { ...quick.model, pool: 'cls' },
      augment: { ...SEIT_TA_AUGMENT, tokenAdaptKind: 'oracle' },
    });
    // A recipe is set whole, even the preset's own; single settings go over it, or over none.
    expect(flags('quick', { augment: 'none' })).toEqual({ ...quick, augment: NO_AUGMENT });
    expect(flags('quick', { flip: '0.5', 'crop-shift': '2' })).toEqual({ ...quick, augment: { ...NO_AUGMENT, pFlip: 0.5, cropShift: 2 } });
    expect(flags('quick', { augment: 'seit', mix: '0', 'noise-strength': '1' })).toEqual({ ...quick, augment: { ...SEIT_AUGMENT, pMix: 0, noiseStrength: 1 } });
    const mtm = PRESETS['mtm-quick'];
    if (mtm.task !== 'mtm') throw new Error('mtm-quick pre-trains');
    expect(flags('mtm-quick', { 'mask-token': 'mto-style', block: '2' })).toEqual({ ...mtm, mtm: { ...mtm.mtm, maskToken: 'mto-style', block: 2 } });
    expect(flags('mtm-quick', { augment: 'none' })).toEqual({ ...mtm, augment: NO_AUGMENT });
    expect(flags('finetune-quick', { labels: '0.05', 'layer-decay': '1', augment: 'seit-ta' })).toEqual({ ...PRESETS['finetune-quick'], labels: 0.05, layerDecay: 1, augment: SEIT_TA_AUGMENT });
    expect(flags('tokenadapt', { steps: '10', seed: '2' })).toEqual({ ...PRESETS.tokenadapt, steps: 10, seed: 2 });
  });

  it('list every flag in --help, with its values and the tasks it is for', () => {
    const help = cliHelp();
    for (const e of ENTRIES) expect(help, e.flag).toContain(`--${e.flag} `);
    expect(help).toContain('--mask-token plain|mto-style');
    expect(help).toMatch(/--labels X +Train on a fixed, class-balanced fraction.*\[classify\]/);
  });
});

describe('run names', () => {
  it('are the preset and the options changed on it, a recipe and its tweaks briefly', () => {
    const named = (name: string, argv: Record<string, string>) => runName(withOverrides(preset(name), overridesFromCli(argv)));
    expect(named('mtm-quick', { 'mask-token': 'mto-style', steps: '20' })).toBe('mtm-quick+mask-token=mto-style');
    expect(named('mtm-quick', { augment: 'crop-ta', 'token-adapt-kind': 'oracle' })).toBe('mtm-quick+token-adapt-kind=oracle');
    expect(named('quick', { augment: 'seit-ta', 'token-adapt-kind': 'oracle', seed: '2' })).toBe('quick+augment=seit-ta+token-adapt-kind=oracle');
    expect(named('quick', { augment: 'seit', mix: '0' })).toBe('quick+augment=seit+mix=0');
    expect(named('quick', { augment: 'none', 'eval-every': '0' })).toBe('quick');
    expect(runId('d', withOverrides(preset('quick'), { seed: 3, lr: 0.001 }))).toBe('d/quick+lr=0.001/seed3');
    // A fine-tune's encoder size comes from its checkpoint, which the id names already.
    const ft = { ...withOverrides(preset('finetune-quick'), { labels: 0.5 }), model: { ...PRESETS['finetune-quick'].model, dim: 32 }, initFrom: 'd/mtm-quick/seed1' };
    expect(runId('d', ft)).toBe('d/finetune-quick+labels=0.5/seed1 from d/mtm-quick/seed1');
  });

  it('read old checkpoints: no task is a classifier, and a renamed preset gets its name back', () => {
    const { task: _, ...old } = PRESETS.quick as TrainConfig & { task?: string };
    expect(normalizeConfig(old)).toEqual(PRESETS.quick);
    const mto = normalizeConfig({ ...withOverrides(preset('mtm-quick'), { maskToken: 'mto-style' }), preset: 'mtm-quick-crop-ta-mto', input: 'codes' });
    expect(mto).toEqual(withOverrides(preset('mtm-quick'), { maskToken: 'mto-style' }));
    expect(runName(mto)).toBe('mtm-quick+mask-token=mto-style');
    expect(normalizeConfig({ ...PRESETS.quick, preset: 'quick-seit-ta' }).preset).toBe('quick');
  });
});
