// What to show for a thrown value: an Error's message (its name when the message is empty, as
// some DOMExceptions have), anything else as text.
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}
