// The vite plugin behind `virtual:chainrule/shaders` for vite (the pages and the demo), vitest and the
// library build (which inlines the sources into dist/): each load builds them from the .wgsl files as
// they are now (./wgsl.ts), and the dev server reloads when one changes (vitest's watch mode does not
// rerun by itself on a .wgsl change: rerun, and the tests get the files as they are then). vite.config.ts and
// vite.pages.config.ts both use it; tsx scripts get the same sources through tsconfig.json's `paths` (./wgsl-sources.ts).
import { resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { buildShaders, SHADERS_ID, shadersDir, shadersModule, wgslFiles } from './wgsl.ts';

export function wgslShaders(dir = shadersDir): Plugin {
  const resolved = `\0${SHADERS_ID}`;
  dir = resolve(dir);
  return {
    name: 'chainrule-wgsl',
    enforce: 'pre',
    resolveId: (id) => (id === SHADERS_ID ? resolved : undefined),
    load(id) {
      if (id !== resolved) return undefined;
      // Watched: `vite build --watch` rebuilds when one changes.
      for (const file of wgslFiles(dir)) this.addWatchFile(file);
      return shadersModule(buildShaders(dir));
    },
    configureServer(server) {
      // The dev server: a .wgsl file changed, added or removed invalidates the module and reloads the page.
      const onEvent = (file: string) => {
        if (!file.endsWith('.wgsl') || !resolve(file).startsWith(dir + sep)) return;
        let found = false;
        for (const environment of Object.values(server.environments)) {
          const mod = environment.moduleGraph.getModuleById(resolved);
          if (!mod) continue;
          environment.moduleGraph.invalidateModule(mod);
          found = true;
        }
        if (found) server.ws.send({ type: 'full-reload' });
      };
      server.watcher.add(dir);
      for (const event of ['add', 'change', 'unlink'] as const) server.watcher.on(event, onEvent);
    },
  };
}
