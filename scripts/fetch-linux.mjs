#!/usr/bin/env node
// Fetches the north star's guest (spec/linux-boot.md §1–2) into a git-ignored folder:
// Debian 12's i386 kernel (linux-image-6.1.0-50-686) and busybox-static, downloaded with apt-get
// into a scratch folder WITHOUT touching the host's dpkg/apt configuration (own lists, own cache,
// i386 as the only architecture), unpacked with `dpkg -x`, and the initramfs of §2 (busybox,
// one symlink per applet, /dev/console, /dev/null, /dev/ttyS0, an /init that prints
// `SHELL-READY uptime=…` and starts a shell with PS1 `LBSH# `) as a gzip'd newc cpio.
//
//   node scripts/fetch-linux.mjs [--out <dir>]      (default: .cache/linux)
//
// Result: <dir>/vmlinuz (the bzImage), <dir>/initrd.gz, <dir>/busybox, <dir>/SHA256SUMS.
// Nothing here is committed: kernels and busybox stay out of the repository.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const out = path.resolve(
  outArg >= 0 ? (args[outArg + 1] ?? '.cache/linux') : path.join(root, '.cache/linux'),
);
const KERNEL_PKG = 'linux-image-6.1.0-50-686';
const BUSYBOX_PKG = 'busybox-static';
const KERNEL_FILE = 'boot/vmlinuz-6.1.0-50-686';

const INIT = `#!/bin/sh
# minimal init for boot-to-shell timing
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
read up idle </proc/uptime
echo "SHELL-READY uptime=$up"
export PS1='LBSH# ' HOME=/root PATH=/bin:/sbin:/usr/bin:/usr/sbin
exec setsid cttyhack sh
`;

function run(cmd, argv, opts = {}) {
  process.stderr.write(`+ ${cmd} ${argv.join(' ')}\n`);
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  if (r.error) throw r.error;
  return r;
}

function sha(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

const scratch = path.join(out, 'apt');
for (const d of ['lists/partial', 'cache/archives/partial'])
  fs.mkdirSync(path.join(scratch, d), { recursive: true });
const aptOpts = [
  '-oAPT::Architecture=i386',
  '-oAPT::Architectures=i386',
  `-oDir::State::Lists=${path.join(scratch, 'lists')}`,
  `-oDir::Cache=${path.join(scratch, 'cache')}`,
  `-oDir::State::status=${path.join(scratch, 'status')}`,
];
fs.writeFileSync(path.join(scratch, 'status'), '');
const debs = path.join(out, 'debs');
fs.mkdirSync(debs, { recursive: true });
const haveDeb = (pkg) => fs.readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
if (!haveDeb(KERNEL_PKG) || !haveDeb(BUSYBOX_PKG)) {
  // `update` may report an index it could not fetch (security); the main index has both packages.
  run('apt-get', [...aptOpts, '-q', 'update'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const r = run('apt-get', [...aptOpts, '-q', 'download', KERNEL_PKG, BUSYBOX_PKG], {
    cwd: debs,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    process.stderr.write(`fetch-linux: apt-get download failed (status ${r.status})\n`);
    process.exit(1);
  }
}
const unpacked = path.join(out, 'unpacked');
for (const pkg of [KERNEL_PKG, BUSYBOX_PKG]) {
  const deb = haveDeb(pkg);
  if (deb === undefined) throw new Error(`${pkg} was not downloaded`);
  const r = run('dpkg', ['-x', path.join(debs, deb), unpacked]);
  if (r.status !== 0) throw new Error(`dpkg -x ${deb} failed`);
}
const kernel = path.join(out, 'vmlinuz');
fs.copyFileSync(path.join(unpacked, KERNEL_FILE), kernel);
const busybox = path.join(out, 'busybox');
fs.copyFileSync(path.join(unpacked, 'bin/busybox'), busybox);
fs.chmodSync(busybox, 0o755);

// The applet list: `busybox --list-full` (the i386 binary runs on an amd64 host with IA32
// emulation); where it cannot run, the applet names come from the binary's own name table (the
// NUL-separated, sorted list that starts with "[" and "[["), all linked in bin/ (on the PATH).
let applets;
const list = spawnSync(busybox, ['--list-full'], { encoding: 'utf8' });
if (list.status === 0 && list.stdout.trim() !== '') {
  applets = list.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
} else {
  const bin = fs.readFileSync(busybox);
  const at = bin.indexOf(Buffer.from('[\0[[\0', 'latin1'));
  if (at < 0) throw new Error('busybox --list-full did not run and the applet name table was not found');
  let end = at;
  while (!(bin[end] === 0 && bin[end + 1] === 0)) end++;
  applets = bin
    .subarray(at, end)
    .toString('latin1')
    .split('\0')
    .filter((n) => n !== 'busybox')
    .map((n) => `bin/${n}`);
  process.stderr.write(
    `fetch-linux: busybox --list-full does not run here (no IA32 emulation); ${applets.length} applets from its name table, linked in bin/\n`,
  );
}

applets = applets.filter((a) => a !== 'bin/busybox');

// The rootfs as cpio entries (newc), sorted by name as `find . | LC_ALL=C sort` would give them.
const entries = new Map();
const dir = (p) => {
  const parts = p.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const d = parts.slice(0, i).join('/');
    if (!entries.has(d)) entries.set(d, { mode: 0o040755, data: Buffer.alloc(0) });
  }
};
for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'etc']) dir(d);
entries.set('.', { mode: 0o040755, data: Buffer.alloc(0) });
entries.set('bin/busybox', { mode: 0o100755, data: fs.readFileSync(busybox) });
for (const a of applets) {
  dir(path.posix.dirname(a));
  const target = path.posix.relative(path.posix.dirname(a), 'bin/busybox');
  entries.set(a, { mode: 0o120777, data: Buffer.from(target) });
}
entries.set('dev/console', { mode: 0o020600, data: Buffer.alloc(0), rdev: [5, 1] });
entries.set('dev/null', { mode: 0o020666, data: Buffer.alloc(0), rdev: [1, 3] });
entries.set('dev/ttyS0', { mode: 0o020660, data: Buffer.alloc(0), rdev: [4, 64] });
entries.set('init', { mode: 0o100755, data: Buffer.from(INIT) });

const parts = [];
let ino = 1;
const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
const cpioEntry = (name, { mode, data, rdev = [0, 0] }) => {
  const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length + 1, 0];
  const head = Buffer.from(
    `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`,
    'latin1',
  );
  parts.push(head, pad(head.length), data, pad(data.length));
};
const names = [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
for (const n of names) cpioEntry(n, entries.get(n));
cpioEntry('TRAILER!!!', { mode: 0, data: Buffer.alloc(0) });
const initrd = path.join(out, 'initrd.gz');
fs.writeFileSync(initrd, zlib.gzipSync(Buffer.concat(parts), { level: 9 }));

const sums = [kernel, busybox, initrd].map((f) => `${sha(f)}  ${path.basename(f)}`).join('\n');
fs.writeFileSync(path.join(out, 'SHA256SUMS'), `${sums}\n`);
process.stderr.write(
  `fetch-linux: ${kernel} (${fs.statSync(kernel).size} B), ${initrd} (${fs.statSync(initrd).size} B, ${names.length + 1} entries)\n${sums}\n`,
);
