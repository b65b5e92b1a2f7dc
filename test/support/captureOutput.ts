/**
 * Runs an in-process CLI command and captures what it writes as strings. The test runner itself reports
 * through stdout with Buffers, so only string writes (our commands') are captured; the rest passes through.
 */
export async function captureOutput(
  fn: () => Promise<number>,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [w1, w2] = [process.stdout.write, process.stderr.write];
  const hook = (sink: string[], original: typeof process.stdout.write) =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string') return sink.push(chunk) > 0;
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = hook(out, w1);
  process.stderr.write = hook(err, w2);
  try {
    const code = await fn();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}
