// Poll until `f` returns something truthy (live updates arrive asynchronously); the error names what was awaited
// and the last value or error seen. Shared by the in-host suite and the Playwright suite.
export async function until<T>(f: () => T | Promise<T>, what: string, timeoutMs = 20_000, intervalMs = 200): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
