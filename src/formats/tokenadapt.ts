// The TokenAdapt file a dataset package ships (tokenadapt.tta): in the package files' frame
// (magic, version, length, CRC), a safetensors body with f's and g's weights, one tensor per
// parameter, and the model's config and the builder's agreement report as metadata.
import { decodeFramed, encodeFramed } from './frame';
import { decodeSafetensors } from './safetensors';
import { exportWeights, importWeights } from './checkpoint';
import { tokenAdaptLayout, type TokenAdaptConfig, type TokenAdaptWeights } from '../nn/tokenadapt';
import { DataFormatError } from './error';
import { errorMessage } from '../util/errors';

export const TOKENADAPT_FILE = 'tokenadapt.tta';
const MAGIC = 'TSTA';
const FORMAT = 'tessera-tokenadapt';

export function encodeTokenAdapt(w: TokenAdaptWeights, report: Record<string, unknown>): Uint8Array {
  return encodeFramed(MAGIC, exportWeights(w.params, tokenAdaptLayout(w.config), w.config, FORMAT, { report: JSON.stringify(report) }));
}

export function decodeTokenAdapt(bytes: Uint8Array, file = TOKENADAPT_FILE): TokenAdaptWeights & { report: Record<string, unknown> } {
  try {
    const { tensors, metadata } = decodeSafetensors(decodeFramed(bytes, MAGIC, 'TokenAdapt file', file));
    if (metadata.format !== FORMAT) throw new Error(`not a TokenAdapt file (format ${JSON.stringify(metadata.format ?? null)})`);
    const config = JSON.parse(metadata.config ?? 'null') as TokenAdaptConfig;
    const fields = ['inDim', 'vocab', 'dim', 'heads', 'mlpRatio', 'features', 'up'] as const;
    if (!config || !Array.isArray(config.grid) || !fields.every((k) => Number.isInteger(config[k]) && config[k] > 0)) throw new Error('its config is missing or malformed');
    return { config, params: importWeights(tensors, tokenAdaptLayout(config)), report: JSON.parse(metadata.report ?? '{}') };
  } catch (e) {
    // The frame's errors (magic, version, length, CRC) name the file and keep their code.
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError('corrupt', errorMessage(e), file);
  }
}
