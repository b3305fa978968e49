import { describe, expect, it } from 'vitest';
import { shaderSource } from '../../src/gpu/shaders';

describe('shader sources', () => {
  it('as written, matmul keeps its default register block', () => {
    const src = shaderSource('matmul');
    expect(src).toMatch(/^const TM = 4u; \/\/!define$/m);
    expect(src).toMatch(/^const TN = 8u; \/\/!define$/m);
  });

  it('a define replaces only the value of its //!define const', () => {
    const src = shaderSource('matmul', { TM: 16 });
    expect(src).toMatch(/^const TM = 16u; \/\/!define$/m);
    expect(src).toMatch(/^const TN = 8u; \/\/!define$/m);
  });

  it('refuses a define the shader does not declare, or a value that is not a count', () => {
    expect(() => shaderSource('matmul', { TK: 4 })).toThrow(/no `\/\/!define` const named TK/);
    expect(() => shaderSource('matmul', { TM: 2.5 })).toThrow(/non-negative integer/);
    expect(() => shaderSource('layernorm', { TM: 4 })).toThrow(/layernorm has no/);
  });
});
