// tokenizer_reference.js — runs the npm gpt-3-encoder reference on a corpus for
// test_tokenizer_reference.py. usage: node tokenizer_reference.js ENCODER_DIR CORPUS OUT_DIR
// Lines are split exactly like `w2s tokenize` (bytes up to '\n'; a last line only if non-empty)
// and decoded like a browser (TextDecoder, invalid bytes → U+FFFD, a leading BOM kept).
// Writes OUT_DIR/ref_verbatim.jsonl (Encoder.js as shipped), OUT_DIR/ref_fixed.jsonl (Encoder.js
// with the two patches below, which make it compute what OpenAI's encoder.py computes) and
// OUT_DIR/text.b64 (each decoded line re-encoded as UTF-8, base64), one line per corpus line.
'use strict';
const fs = require('fs');
const path = require('path');

const [encoderDir, corpusPath, outDir] = process.argv.slice(2);
if (!outDir) throw new Error('usage: node tokenizer_reference.js ENCODER_DIR CORPUS OUT_DIR');
const source = fs.readFileSync(path.join(encoderDir, 'Encoder.js'), 'utf-8');

// Each patch replaces one exact piece of Encoder.js 1.1.4; a mismatch stops the test rather than
// silently comparing against something else.
const patches = [
  // 1. ECMAScript's \s is not Python's: it adds U+FEFF and lacks U+0085. encoder.py's `regex` \s
  //    is Unicode White_Space, spelled out here (w2s uses the same spelling with PCRE2).
  ["const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+/gu",
   "const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+" +
   "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+/gu"],
  // 2. Pairs are object keys, so a pair becomes "left,right" and 11 pairs of tokens holding commas
  //    alias a merge (["\",", "\""] finds the rank of ["\"", ",\""]). With GPT-2's merges none can
  //    fire — each aliased pair needs a comma to merge leftwards first, and every such merge ranks
  //    after the comma's rightward merge (e.g. ', "' is line 299, '" ,' line 1346) — but keys joined
  //    by a space (never in a byte-level token) make the reference right by construction.
  ['const bpe_ranks = dictZip(bpe_merges, range(0, bpe_merges.length))',
   "const bpe_ranks = dictZip(bpe_merges.map(m => m.join(' ')), range(0, bpe_merges.length))"],
  ['const rank = bpe_ranks[pair]', "const rank = bpe_ranks[pair.join(' ')]"],
  ['if (!(bigram in bpe_ranks)) {', "if (bigram === undefined || !(bigram.join(' ') in bpe_ranks)) {"],
];

function load(src) {
  const module = { exports: {} };
  const fn = new Function('require', 'module', 'exports', '__dirname', src);
  fn(require, module, module.exports, encoderDir);
  return module.exports;
}

let fixedSource = source;
for (const [from, to] of patches) {
  const n = fixedSource.split(from).length - 1;
  if (n !== 1) throw new Error(`Encoder.js: expected one occurrence of ${JSON.stringify(from)}, found ${n}`);
  fixedSource = fixedSource.replace(from, () => to);
}
const verbatim = load(source);
const fixed = load(fixedSource);

const corpus = fs.readFileSync(corpusPath);
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const outVerbatim = [], outFixed = [], outText = [];
let start = 0;
for (let i = 0; i <= corpus.length; i++) {
  if (i < corpus.length && corpus[i] !== 10) continue;
  const bytes = corpus.subarray(start, i);
  start = i + 1;
  if (i === corpus.length && bytes.length === 0) break;
  const text = decoder.decode(bytes);
  outVerbatim.push(JSON.stringify(verbatim.encode(text)));
  outFixed.push(JSON.stringify(fixed.encode(text)));
  outText.push(Buffer.from(text, 'utf-8').toString('base64'));
}
fs.writeFileSync(path.join(outDir, 'ref_verbatim.jsonl'), outVerbatim.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'ref_fixed.jsonl'), outFixed.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'text.b64'), outText.join('\n') + '\n');
