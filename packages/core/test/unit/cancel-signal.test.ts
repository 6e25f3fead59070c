import { readFileSync } from 'node:fs';
import { constants as os } from 'node:os';

import { CANCEL_SIGNAL } from '@rxipc/core';
import { describe, expect, it } from 'vitest';

describe('CANCEL_SIGNAL', () => {
  it('is the real-time signal SIGRTMIN+5, and this process catches it (the no-op handler)', () => {
    // Linux numbers the real-time signals above SIGSYS (31); glibc reserves the first two or three.
    expect(CANCEL_SIGNAL).toBeGreaterThan(os.signals.SIGSYS);
    expect(CANCEL_SIGNAL).toBeLessThanOrEqual(64);
    // /proc/self/status SigCgt: a hex mask of caught signals, bit (n - 1) for signal n.
    const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    expect((caught >> BigInt(CANCEL_SIGNAL - 1)) & 1n).toBe(1n);
  });
});
