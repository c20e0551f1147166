/**
 * Builds the initramfs for bench/linux-smoke.ts (a newc cpio, uncompressed): a static i386
 * busybox (Debian busybox-static, see ../shared/spec/linux-boot.md §1) and an /init that exercises
 * user mode — fork/exec, pipes, signals, x87 arithmetic in awk, hashing a 2 MiB file — prints
 * markers and reboots.
 *
 *   npx tsx bench/linux-initrd.ts <busybox> <out.cpio>
 */
import fs from 'node:fs';

const [busybox, out] = process.argv.slice(2);
if (busybox === undefined || out === undefined) {
  process.stderr.write('usage: linux-initrd <busybox> <out.cpio>\n');
  process.exit(2);
}

const INIT = `#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "USERSPACE-OK"
uname -a
cat /proc/cpuinfo
echo ECHO-$((6*7))
seq 1 5 | while read x; do echo "n=$x sq=$((x*x))"; done
awk 'BEGIN { printf "pi=%.12f e=%.12f sqrt2=%.12f ln10=%.12f sin1=%.12f\\n", atan2(0,-1), exp(1), sqrt(2), log(10), sin(1) }'
awk 'BEGIN { s = 0; for (i = 1; i <= 20000; i++) s += 1 / (i * i); printf "basel=%.12f\\n", s }'
sh -c 'kill -USR1 $$; echo not-reached' ; echo "signal-exit=$?"
(sleep 1; echo after-sleep) & wait
md5sum /bin/busybox
sha256sum /bin/busybox
echo 'hello cpio' | gzip -9 | gunzip
cat /proc/interrupts
cat /proc/uptime
echo DONE
reboot -f
`;

const parts: Buffer[] = [];
let ino = 1;
function entry(name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): void {
  const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length + 1, 0];
  const head = `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`;
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const hn = Buffer.from(`${head}${name}\0`, 'latin1');
  parts.push(hn, pad(hn.length), data, pad(data.length));
}
const DIR = 0o040755;
const FILE = 0o100755;
const LINK = 0o120777;
const CHR = 0o020600;
for (const d of ['bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'etc', 'usr', 'usr/bin', 'usr/sbin'])
  entry(d, DIR, Buffer.alloc(0));
entry('bin/busybox', FILE, fs.readFileSync(busybox));
entry('bin/sh', LINK, Buffer.from('busybox'));
entry('dev/console', CHR, Buffer.alloc(0), [5, 1]);
entry('dev/null', CHR | 0o066, Buffer.alloc(0), [1, 3]);
entry('dev/ttyS0', CHR, Buffer.alloc(0), [4, 64]);
entry('init', FILE, Buffer.from(INIT));
entry('TRAILER!!!', 0, Buffer.alloc(0));
fs.writeFileSync(out, Buffer.concat(parts));
process.stderr.write(`${out}: ${Buffer.concat(parts).length} bytes\n`);
