#!/usr/bin/env node
import { fstatSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type Host_input, main, mainInteractive } from './main.js';

const out = (s: string | Uint8Array): void => {
  process.stdout.write(s);
};
const err = (s: string | Uint8Array): void => {
  process.stderr.write(s);
};

/** stdin as the guest's COM1 input: a terminal in raw mode (Ctrl-A x quits), or a pipe or file. */
function stdinInput(): Host_input {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let afterCtrlA = false;
  return {
    start({ data, end, quit }) {
      if (tty) stdin.setRawMode(true);
      stdin.on('data', (chunk: Buffer) => {
        if (!tty) return data(new Uint8Array(chunk));
        const bytes: number[] = [];
        for (const b of chunk) {
          if (afterCtrlA) {
            afterCtrlA = false;
            if (b === 0x78 /* x */) return quit();
            if (b !== 0x01) bytes.push(0x01);
          } else if (b === 0x01 /* Ctrl-A */) {
            afterCtrlA = true;
            continue;
          }
          bytes.push(b);
        }
        if (bytes.length > 0) data(Uint8Array.from(bytes));
      });
      stdin.on('end', end);
      stdin.resume();
    },
    stop() {
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      stdin.removeAllListeners('data');
      stdin.removeAllListeners('end');
    },
  };
}

/** Whether stdin is something a user types into or pipes into (not a closed or inherited socket). */
function stdinIsInput(): boolean {
  if (process.stdin.isTTY === true) return true;
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile();
  } catch {
    return false;
  }
}

const argv = process.argv.slice(2);
if (stdinIsInput() && !argv.includes('--help') && !argv.includes('-h')) {
  mainInteractive(argv, out, err, {
    readFile: (p) => readFileSync(p),
    now: () => performance.now(),
    input: stdinInput(),
    sleep: (ms) => new Promise((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r))),
  }).then(
    (status) => {
      process.exitCode = status;
    },
    (e: unknown) => {
      process.stderr.write(`genode-ts-demo: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  process.exitCode = main(argv, out, err);
}
