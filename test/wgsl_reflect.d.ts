// wgsl_reflect's `main` is CommonJS inside a `type: module` package, so tests import its ESM build by
// path (see shared/DESIGN.md); this gives that path the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
