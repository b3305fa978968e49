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
    expect(() => shaderSource('matmul', { TK: 4 })).toThrow(/no `\/\/!define` const or alias named TK/);
    expect(() => shaderSource('matmul', { TM: 2.5 })).toThrow(/non-negative integer/);
    expect(() => shaderSource('layernorm', { TM: 4 })).toThrow(/layernorm has no/);
    expect(() => shaderSource('matmul', { Operand: 7 })).toThrow(/f32 or f16/);
  });

  it('a type define swaps an alias, and f16 enables the extension first', () => {
    const src = shaderSource('matmul', { Operand: 'f16' });
    expect(src).toMatch(/^alias Operand = f16; \/\/!define$/m);
    expect(src.startsWith('enable f16;\n')).toBe(true);
    expect(shaderSource('matmul').startsWith('enable')).toBe(false);
  });
});
