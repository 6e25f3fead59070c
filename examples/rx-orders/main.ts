// rx-orders: typed messages between two processes over a System V queue, with RxJS.
//
//   main ──spawns──> producer ──spawns──> consumer
//                    creates an IPC_PRIVATE queue, passes its id in the environment,
//                    sends orders (type 1), cancels (type 2), done (type 3), JSON-encoded;
//                    the consumer subscribes to each type and prints what arrives.
//
// Run: npm run example rx-orders
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const producer = spawn(process.execPath, [fileURLToPath(new URL('./producer.js', import.meta.url))], { stdio: 'inherit' });
producer.on('exit', (code) => process.exit(code ?? 1));
