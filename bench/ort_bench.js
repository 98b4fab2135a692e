// ort_bench.js — times a GPT-2 classifier exported by bench/ort_export.py in ONNX Runtime from
// node (what a user would deploy instead of w2s): batch throughput at B×T tokens and the p50
// latency of one example of T1 tokens, 2 intra-op threads, all graph optimizations. Not run by
// CI; bench/serve_compare.py runs it interleaved with w2s. The one thing to know: it needs
// onnxruntime-node in bench/node_modules, installed without its GPU download:
//   ONNXRUNTIME_NODE_INSTALL=skip npm --prefix bench install --no-save --no-package-lock onnxruntime-node@1.30.0
// usage: node bench/ort_bench.js MODEL.onnx [--threads 2] [--batch 8] [--seq 128] [--single 64]
//                                [--iters 20] [--single-iters 50]      → one JSON line
//        node bench/ort_bench.js --logits MODEL.onnx IN.jsonl [--optimized OUT.onnx]
//          → one JSON line of logits per input line (its input_ids), one example per run;
//            --optimized saves ORT's optimized graph (to check which nodes it fused).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function opts(argv) {
  const o = {threads: 2, batch: 8, seq: 128, single: 64, iters: 20, 'single-iters': 50, pos: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--logits') o.logits = true;
    else if (a === '--optimized') o.optimized = argv[++i];
    else if (a.startsWith('--')) {
      const k = a.slice(2), v = Number(argv[++i]);
      if (!(k in o) || !Number.isInteger(v) || v < 1) throw new Error(`ort_bench: bad option ${a} ${argv[i]}`);
      o[k] = v;
    } else o.pos.push(a);
  }
  if (o.pos.length !== (o.logits ? 2 : 1)) throw new Error('ort_bench: usage: see the header of bench/ort_bench.js');
  return o;
}

function feeds(B, T, seed) {
  // Random ids from a fixed xorshift seed: every run sends the same tokens.
  const ids = new BigInt64Array(B * T);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < ids.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    ids[i] = BigInt(s % 50257);
  }
  return {input_ids: new ort.Tensor('int64', ids, [B, T]),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T])};
}

async function timeRuns(sess, f, warmup, iters) {
  for (let i = 0; i < warmup; i++) await sess.run(f);
  const ms = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await sess.run(f);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return ms;
}

const median = (v) => v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;

async function main() {
  const o = opts(process.argv.slice(2));
  const so = {intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: 'sequential',
              graphOptimizationLevel: 'all'};
  if (o.optimized) so.optimizedModelFilePath = o.optimized;
  const sess = await ort.InferenceSession.create(o.pos[0], so);
  if (o.logits) {
    for (const line of fs.readFileSync(o.pos[1], 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const ids = JSON.parse(line).input_ids;
      const T = ids.length;
      const r = await sess.run({input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, T]),
                                attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T])});
      console.log(JSON.stringify(Array.from(r.logits.data)));
    }
    return;
  }
  const batch = await timeRuns(sess, feeds(o.batch, o.seq, 1), 3, o.iters);
  const single = await timeRuns(sess, feeds(1, o.single, 2), 5, o['single-iters']);
  const tb = median(batch);
  console.log(JSON.stringify({model: o.pos[0], threads: o.threads, batch: o.batch, seq: o.seq,
                              tokens_per_s: +(o.batch * o.seq / (tb / 1e3)).toFixed(1), batch_p50_ms: +tb.toFixed(3),
                              single_tokens: o.single, single_p50_ms: +median(single).toFixed(3),
                              ort: ort.env.versions.node}));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
