// dgram-log's sender: sends `lines` log datagrams to the collector's address, then exits.
import { createDatagramSocket } from '@rxipc/core';

const [address, lines, name] = process.argv.slice(2);
const log = createDatagramSocket({ connect: address! });
for (let i = 1; i <= Number(lines); i++) await log.send(`${name}: line ${i}`);
log.close();
