// fifo-talk: two programs chatting through two named pipes. Start talker01 in one
// terminal and talker02 in another, in the same directory:
//
//   npm run example fifo-talk -- talker01 --dir /tmp
//   npm run example fifo-talk -- talker02 --dir /tmp
//
// (npm runs programs from the repository root, so give --dir; run directly,
// `node examples/dist/fifo-talk/talker01.js` uses the current directory like the C.)
import { talker01 } from './talker01.js';
import { talker02 } from './talker02.js';

const programs = { talker01, talker02 };
const [name, ...args] = process.argv.slice(2);
if (name !== 'talker01' && name !== 'talker02') {
  process.stderr.write('Usage: fifo-talk talker01|talker02 [--dir DIR]\n');
  process.exit(2);
}
process.exit(await programs[name](args));
