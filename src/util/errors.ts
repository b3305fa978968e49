// What to show for a thrown value: an Error's message, anything else as text.
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
