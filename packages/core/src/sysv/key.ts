import { native } from '@rxipc/native';

import { validateInteger, validatePath } from '../validate.js';

/**
 * The key that always makes a new, unnamed IPC object (0). Share it with a child by its id.
 *
 * @example
 * const q = MessageQueue.open(IPC_PRIVATE, { create: true });
 * spawn(process.execPath, ['child.js', String(q.id)]); // child: MessageQueue.fromId(id)
 */
export const IPC_PRIVATE = 0;

/**
 * ftok(path, projId): a System V IPC key derived from an existing file and a project id
 * (1..255), as an unsigned 32-bit number (the way `ipcs` prints keys).
 *
 * @example
 * const key = ftok('/tmp', 1);
 * const q = MessageQueue.open(key, { create: true });
 */
export function ftok(path: string, projId: number): number {
  validatePath(path);
  validateInteger(projId, 'projId', 1, 255);
  return native.ftok(path, projId) >>> 0;
}
