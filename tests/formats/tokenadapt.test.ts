// TokenAdapt's shipped file: weights and config round-trip; a truncated, damaged or foreign file
// is refused with a message that names it; a manifest may name it, and the CLI loads it.
import { describe, expect, it } from 'vitest';
import { decodeTokenAdapt, encodeTokenAdapt, TOKENADAPT_FILE } from '../../src/formats/tokenadapt';
import { tokenAdaptLayout, type TokenAdaptConfig } from '../../src/nn/tokenadapt';
import { loadTokenPackage } from '../../scripts/train/datasets';

const CFG: TokenAdaptConfig = { grid: [7, 7], inDim: 16, vocab: 256, dim: 8, heads: 2, mlpRatio: 2, features: 4, up: 2 };

describe('TokenAdapt file', () => {
  it('round-trips the weights, config and report', () => {
    const params = tokenAdaptLayout(CFG).init(4);
    const bytes = encodeTokenAdapt({ config: CFG, params }, { steps: 3 });
    const back = decodeTokenAdapt(bytes);
    expect(back.config).toEqual(CFG);
    expect(Array.from(back.params)).toEqual(Array.from(params));
    expect(back.report).toEqual({ steps: 3 });
  });

  it('refuses truncated, damaged and foreign files by name', () => {
    const bytes = encodeTokenAdapt({ config: CFG, params: tokenAdaptLayout(CFG).init(4) }, {});
    expect(() => decodeTokenAdapt(bytes.subarray(0, 100))).toThrow(new RegExp(`${TOKENADAPT_FILE}.*(incomplete|truncated)`));
    const damaged = bytes.slice();
    damaged[500] ^= 1;
    expect(() => decodeTokenAdapt(damaged)).toThrow(/CRC-32 mismatch/);
    expect(() => decodeTokenAdapt(new TextEncoder().encode('{"not": "weights"}'))).toThrow(/not a Tessera TokenAdapt file/);
  });

  it('the shipped package names it and its adapter fits the codebook', async () => {
    const data = await loadTokenPackage('public/data/fashion-mnist');
    const ta = data.tokenAdapt!;
    expect(ta.config.vocab).toBe(data.codebook!.K);
    expect(ta.config.inDim).toBe(data.inDim);
    expect(ta.config.grid).toEqual(data.grid);
    expect(ta.params.length).toBe(tokenAdaptLayout(ta.config).total);
  });
});
