// Every Node test file runs on the Node platform (Dawn, files from disk), as `import 'chainrule'`
// gives a Node user, even when it imports chainrule's modules directly.
import '../src/node.ts';
