#!/usr/bin/env node
// Example command pipeline: counts the bytes of each input and writes byte_counts.csv (file,bytes,sha256) into --out.
// Usage: node example-command.js --out DIR [--verbose] [--every KIB] FILE...
// Plain Node, no dependencies. Everything printed to stdout/stderr appears in the run's log.
/* global require, process, console, Buffer */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');


// The portal's CSV rule (src/common/csv-writer.ts), for a program that cannot import it: a file name such as
// "=cmd()" (or its full-width "＝cmd()", or after blanks) gets an apostrophe in front so spreadsheets show it instead
// of running it; plain numbers stay numbers; a name that starts with apostrophes before such a sign gets one more.
const FORMULA_START = /^(?:[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\t\r\n]|\s+[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const isFormulaLike = (text) => FORMULA_START.test(text) && !PLAIN_NUMBER.test(text);
function csvCell(text) {
  const safe = isFormulaLike(text.replace(/^'+/, '')) ? `'${text}` : text;
  return /[",;\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const args = process.argv.slice(2);
let out;
let verbose = false;
let everyKiB = 100;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i];
  else if (args[i] === '--verbose') verbose = true;
  else if (args[i] === '--every') everyKiB = Number(args[++i]);
  else files.push(args[i]);
}
if (!(Number.isInteger(everyKiB) && everyKiB > 0)) {
  console.error('--every takes a whole number of KiB');
  process.exit(2);
}
// With --verbose, a line each time this many bytes have been read.
const CHUNK = everyKiB * 1024;
if (!files.length) {
  console.error('No input files given');
  process.exit(2);
}
if (!out) {
  console.error('Missing --out DIR');
  process.exit(2);
}

const rows = ['file,bytes,sha256'];
const buffer = Buffer.alloc(CHUNK);
for (const file of files) {
  const name = path.basename(file);
  console.log(`Counting bytes of ${name}`);
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    console.error(`Cannot read ${name}: ${error.code || error.message}`);
    process.exit(1);
  }
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for (let read; (read = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0; ) {
    hash.update(buffer.subarray(0, read));
    bytes += read;
    if (verbose) console.log(`  ${name}: ${bytes} bytes read`);
  }
  fs.closeSync(fd);
  rows.push(`${csvCell(name)},${bytes},${hash.digest('hex')}`);
}
fs.writeFileSync(path.join(out, 'byte_counts.csv'), rows.join('\n') + '\n');
console.log('Done');
