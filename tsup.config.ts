import { defineConfig } from 'tsup';

// Library entry points: the root and one subpath per area. The CLI is built separately
// (ESM only, with a shebang) because it is a program, not an importable module.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'formats/index': 'src/formats/index.ts',
      'quant/index': 'src/quant/index.ts',
      'matmul/index': 'src/matmul/index.ts',
      'diagnostics/index': 'src/diagnostics/index.ts',
      'io/index': 'src/io/index.ts',
      'onnx/index': 'src/onnx/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    target: 'es2022',
    platform: 'neutral',
    // onnxruntime is an optional peer dependency of lowp/onnx, imported at run time, never bundled
    external: [/^node:/, 'onnxruntime-node', 'onnxruntime-web'],
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    external: ['onnxruntime-node', 'onnxruntime-web'],
  },
]);
