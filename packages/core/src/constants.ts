import { native, type NativeConstants } from '@rxipc/native';

/**
 * The Linux flag values the raw calls take (O_*, IPC_*, MSG_*, AT_*, PIPE_BUF, ...).
 *
 * @example
 * Fifo.createAt(constants.AT_FDCWD, 'my.fifo');
 */
export const constants: NativeConstants = Object.freeze({ ...native.constants });
