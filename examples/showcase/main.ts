// Placeholder: replaced by the showcase demo.
import { createPipe } from '@rxipc/core';
const { readable, writable } = createPipe();
readable.on('data', (b: Buffer) => console.log(b.toString()));
writable.end('rxipc showcase');
