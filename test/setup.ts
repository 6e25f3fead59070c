// Runs in every test file (vitest setupFiles): children started by a test are killed when it
// ends, even when it timed out or failed; whatever is left is killed when the file ends.
import { afterAll, afterEach, beforeEach } from 'vitest';

import { killAllChildren, testEnded, testStarted } from './support/children.js';

beforeEach(() => testStarted());
afterEach(() => testEnded());
afterAll(() => killAllChildren());
