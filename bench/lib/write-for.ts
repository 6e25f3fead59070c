import type { Writable } from 'node:stream';

/** Writes `size`-byte chunks for the total time, honouring write() / 'drain'; then end(). */
export async function writeFor(w: Writable, size: number, seconds: number): Promise<number> {
  const buf = Buffer.alloc(size, 'x');
  const end = performance.now() + seconds * 1000;
  let drains = 0;
  let failed: Error | undefined;
  w.once('error', (err) => (failed = err));
  while (performance.now() < end && !failed) {
    if (!w.write(buf)) {
      drains++;
      await new Promise<void>((resolve) => {
        const done = () => {
          w.off('drain', done);
          w.off('close', done);
          resolve();
        };
        w.on('drain', done);
        w.on('close', done);
      });
    }
  }
  if (failed) throw failed;
  await new Promise<void>((resolve, reject) => {
    w.end(() => resolve());
    w.once('error', reject);
  });
  return drains;
}
