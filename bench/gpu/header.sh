#!/bin/sh
# chainrule's WebGPU benchmarks (an MLP training step, matmul) for Linux x86-64 in one file, built by
# `npm run bench:gpu:pack` (bench/gpu/pack.ts): this header, then a gzip'd tar of Node, Dawn (the
# webgpu package, linux-x64 only), a Vulkan loader and the bundled benchmarks. It needs no network,
# Node, npm or Chromium: only a Vulkan driver (NVIDIA's), glibc >= 2.34 and sh, tail, gzip, tar, mktemp.
#
#   sh chainrule-gpu-bench.sh [--quick] [--allow-software] [--bundled-loader] [--out FILE] [--help]
#
# It prints the adapter, stops if that is a software one (SwiftShader, lavapipe) unless
# --allow-software, prints Markdown tables and writes the results as JSON (bench/gpu/main.ts).
set -eu
payload_line=@PAYLOAD_LINE@ # the archive starts on this line (pack.ts writes the number)
dir=$(mktemp -d "${TMPDIR:-/tmp}/chainrule-gpu-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM # exit, so that the EXIT trap removes the files
tail -n +"$payload_line" "$0" | gzip -dc | tar -xf - -C "$dir"
if ! "$dir/node" -e 0; then
  echo "chainrule-gpu-bench: cannot run $dir/node (a noexec mount? set TMPDIR to another directory)" >&2
  exit 1
fi
status=0
"$dir/node" "$dir/app/main.mjs" "$@" || status=$?
exit "$status"
