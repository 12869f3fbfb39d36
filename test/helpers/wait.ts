// Waiting for a condition in a test: polled until it holds or a generous deadline passes. Tests
// never sleep a fixed time before an assertion: CI may run on a machine busy with other work.

export async function waitFor(condition: () => boolean | Promise<boolean>, deadlineMs = 60_000, pollMs = 20): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
