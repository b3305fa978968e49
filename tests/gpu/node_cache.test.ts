import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFileCache } from '../../src/gpu/node';

describe('nodeFileCache', () => {
  const saved = process.env.XDG_CACHE_HOME;
  afterEach(() => {
    process.env.XDG_CACHE_HOME = saved;
  });

  it('keeps values between instances, and a damaged file reads as empty and is rewritten whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cache-'));
    process.env.XDG_CACHE_HOME = dir;
    await nodeFileCache('t').set('a', '1');
    expect(await nodeFileCache('t').get('a')).toBe('1');
    writeFileSync(join(dir, 'tessera', 't.json'), '{"a": "1", trunc');
    expect(await nodeFileCache('t').get('a')).toBeUndefined();
    await nodeFileCache('t').set('b', '2');
    expect(JSON.parse(readFileSync(join(dir, 'tessera', 't.json'), 'utf8'))).toEqual({ b: '2' });
  });
});
