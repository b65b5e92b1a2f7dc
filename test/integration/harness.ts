/** A minimal runner for the extension host (mocha is more than we need): sequential tests, a plain summary line. */
export interface IntegrationTest {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export async function runTests(
  tests: readonly IntegrationTest[],
): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const test of tests) {
    const started = Date.now();
    try {
      await test.run();
      passed++;
      console.log(`ok - ${test.name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      console.error(
        `FAIL - ${test.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, fail) =>
      setTimeout(() => fail(new Error(`timed out after ${ms} ms: ${what}`)), ms),
    ),
  ]);
}
