// signal-rpc's child: reports every SIGRTMIN+1 it receives, with its value and sender.
import { signals } from '@rxipc/rx';
import { take } from 'rxjs';

const count = Number(process.argv[2]);
signals('SIGRTMIN+1')
  .pipe(take(count))
  .subscribe({
    next: (s) => console.log(`child(${process.pid}): ${s.signal} value ${s.value} from pid ${s.pid}`),
    complete: () => console.log('child: done'), // unsubscribed: the signal's default action is back
  });
console.log('ready');
