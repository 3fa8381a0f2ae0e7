#!/usr/bin/env bash
# Our ONNX exports and PyTorch backend next to llama.cpp on the same random TinyLlama-1.1B-shaped
# weights, on this machine, in alternating rounds. Never needed by the build or the tests.
#
#   billion-bench/scripts/llamacpp-compare.sh            # everything (build llama.cpp once, ~20 min on 2 cores)
#   ROUNDS=3 THREADS=2 billion-bench/scripts/llamacpp-compare.sh
#
# Steps: (1) llama.cpp from the npm package node-llama-cpp (it carries llama.cpp's source release
# and gguf-py), built with its own CMake outside the repository; (2) RandomCheckpoint writes the
# random weights OnnxExportBench uses as config.json + fp32 model.safetensors; (3) gguf-py writes
# them as an F16 GGUF, llama-quantize makes Q8_0 and Q4_0; (4) OnnxExportBench exports fp32, int8,
# int4 block 32 and block 128 once; (5) ROUNDS rounds, each running every row once in a rotated
# order, each row in its own process under /usr/bin/time for the peak RSS: ours (pp128, tg128 of
# OnnxExportBench) and llama-bench -p 128 -n 128 -t THREADS. PyTorch fp32 and ONNX fp32 run in the
# first round only (minutes per row; FP32_ROWS=0 skips them). Results: $WORK/results.tsv; summary.py prints the medians.
# Heavy steps run under flock /tmp/bench.lock, the machine's shared benchmark lock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
LLAMA_DIR=${LLAMA_DIR:-/tmp/llamacpp}
WORK=${WORK:-/tmp/llamacpp-compare}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
FP32_ROWS=${FP32_ROWS:-1}   # 0 skips PyTorch fp32 and ONNX fp32 (minutes per row on a busy machine)
LOCK=${LOCK:-/tmp/bench.lock}
mkdir -p "$LLAMA_DIR" "$WORK"

# 1. llama.cpp
bin="$LLAMA_DIR/src/build/bin"
if [ ! -x "$bin/llama-bench" ] || [ ! -x "$bin/llama-quantize" ]; then
  (cd "$LLAMA_DIR" && [ -f node-llama-cpp-*.tgz ] || npm pack node-llama-cpp)
  (cd "$LLAMA_DIR" && [ -d package ] || tar xzf node-llama-cpp-*.tgz)
  [ -d "$LLAMA_DIR/src" ] || git clone -q "$LLAMA_DIR/package/llama/gitRelease.bundle" "$LLAMA_DIR/src"
  flock "$LOCK" bash -c "cd '$LLAMA_DIR/src' && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DGGML_NATIVE=ON >/dev/null \
      && cmake --build build -j2 --target llama-bench llama-quantize >/dev/null"
fi
llama_version=$(cat "$LLAMA_DIR/package/llama/llama.cpp.info.json" 2>/dev/null | tr -d ' \n' || echo unknown)

# 2. classpath and the random checkpoint
cd "$repo"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
if [ ! -f "$WORK/cp.txt" ]; then
  ./mvnw -o -q -B compile -pl billion-bench -am
  ./mvnw -o -q -B -pl billion-bench dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
fi
# A copy of the compiled classes: a rebuild in the worktree during the rounds cannot change them.
rm -rf "$WORK/classes" && mkdir -p "$WORK/classes"
cp -r "$repo/billion-bench/target/classes" "$WORK/classes/bench"
cp -r "$repo/billion-core/target/classes" "$WORK/classes/core"
CP="$WORK/classes/bench:$WORK/classes/core:$(cat "$WORK/cp.txt")"
JAVA="java -Xmx6g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp $CP"
if [ ! -f "$WORK/hf/model.safetensors" ]; then
  flock "$LOCK" $JAVA dev.billionllm.bench.export.RandomCheckpoint "$WORK/hf"
fi

# 3. GGUF: F16 from the fp32 weights, then Q8_0 and Q4_0 from the F16 file
if [ ! -f "$WORK/f16.gguf" ]; then
  flock "$LOCK" env PYTHONPATH="$LLAMA_DIR/src/gguf-py" python3 "$here/safetensors_to_gguf.py" "$WORK/hf" "$WORK/f16.gguf"
fi
for q in Q8_0 Q4_0; do
  [ -f "$WORK/$q.gguf" ] || flock "$LOCK" "$bin/llama-quantize" "$WORK/f16.gguf" "$WORK/$q.gguf" "$q" "$THREADS" >/dev/null 2>&1
done

# 4. our exports, once
for spec in "fp32 32" "int8 32" "int4 32" "int4 128"; do
  set -- $spec
  [ "$1" = fp32 ] && [ "$FP32_ROWS" = 0 ] && continue
  flock "$LOCK" $JAVA dev.billionllm.bench.export.OnnxExportBench --work "$WORK/onnx" --reuse --runs 0 \
      --precisions "$1" --block-size "$2" --threads "$THREADS" >/dev/null
done

# 5. rounds
results="$WORK/results.tsv"
{ echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) | flags:$(grep -m1 '^flags' /proc/cpuinfo \
    | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx512_bf16|avx_vnni|amx_tile|amx_int8)$' | tr '\n' ' ') | llama.cpp $llama_version | threads $THREADS"
  echo -e "round\trow\tpp_tok_s\ttg_tok_s\tpeak_rss_mib\tload_1min"; } > "$results"

ours() { # row-name precision block
  local out; out=$(flock "$LOCK" /usr/bin/time -f 'PEAK %M' $JAVA dev.billionllm.bench.export.OnnxExportBench \
      --work "$WORK/onnx" --reuse --runs 2 --precisions "$2" --block-size "$3" --threads "$THREADS" 2>&1)
  local line; line=$(echo "$out" | grep -E '^(onnx-|pytorch)' | tail -1)
  local peak; peak=$(echo "$out" | grep '^PEAK' | awk '{print int($2/1024)}')
  echo "$line" | awk -v r="$round" -v n="$1" -v p="$peak" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
      '{print r"\t"n"\t"$4"\t"$5"\t"p"\t"l}' >> "$results"
}
llama() { # row-name file
  local out; out=$(flock "$LOCK" /usr/bin/time -f 'PEAK %M' "$bin/llama-bench" -m "$WORK/$2.gguf" -p 128 -n 128 \
      -t "$THREADS" -r 2 -o jsonl 2>&1)
  local rates; rates=$(echo "$out" | python3 -c '
import json, sys
pp = tg = ""
for line in sys.stdin:
    if line.startswith("{"):
        r = json.loads(line)
        if r["n_prompt"] > 0 and r["n_gen"] == 0: pp = "%.1f" % r["avg_ts"]
        if r["n_gen"] > 0 and r["n_prompt"] == 0: tg = "%.1f" % r["avg_ts"]
print(pp + "\t" + tg)')
  local peak; peak=$(echo "$out" | grep '^PEAK' | awk '{print int($2/1024)}')
  echo -e "$round\t$1\t$rates\t$peak\t$(cut -d' ' -f1 /proc/loadavg)" >> "$results"
}

rows=("ours int8 32" "llama Q4_0" "ours int4 32" "llama Q8_0" "ours int4 128" "llama f16")
for round in $(seq 1 "$ROUNDS"); do
  if [ "$round" = 1 ] && [ "$FP32_ROWS" = 1 ]; then
    ours "onnx-fp32" fp32 32
    ours "pytorch-fp32" pytorch 32
  fi
  n=${#rows[@]}
  for i in $(seq 0 $((n - 1))); do
    set -- ${rows[$(( (i + round - 1) % n ))]}
    if [ "$1" = ours ]; then
      name="onnx-$2"; [ "$2" = int4 ] && name="onnx-int4-b$3"
      ours "$name" "$2" "$3"
    else
      llama "llama.cpp-$2" "$2"
    fi
  done
done
cat "$results"
python3 "$here/llamacpp_summary.py" "$results"
