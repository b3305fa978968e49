// Range checks on untrusted numbers (file headers, JSON): an integer, and within bounds.
export function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
