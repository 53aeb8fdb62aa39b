// esbuild plugin that takes `dangerouslySetInnerHTML` out of Preact in the
// extension's bundles. The popup never sets raw HTML (every text is rendered
// as text), and Preact's one `dom.innerHTML = props.dangerouslySetInnerHTML.__html`
// is what Mozilla's add-on linter flags (UNSAFE_VAR_ASSIGNMENT; issue 12 asks
// for 0 warnings). With this plugin a use of that prop throws instead of
// writing HTML, so the bundle holds no way to inject markup. The build fails
// if Preact's code no longer has exactly that one assignment (an upgrade
// changed it), rather than silently shipping it.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/** Preact's minified module build: `<dom>.innerHTML=<props>.__html`. */
const RAW_HTML_ASSIGNMENT = /\b([A-Za-z_$][\w$]*)\.innerHTML=([A-Za-z_$][\w$]*)\.__html\b/g;

export function noRawHtmlPlugin(): Plugin {
  return {
    name: 'no-raw-html',
    setup(build) {
      build.onLoad(
        { filter: /[\\/]node_modules[\\/]preact[\\/]dist[\\/]preact\.module\.js$/ },
        async (args) => {
          const source = await readFile(args.path, 'utf8');
          const found = source.match(RAW_HTML_ASSIGNMENT)?.length ?? 0;
          if (found !== 1)
            return {
              errors: [{ text: `expected one innerHTML assignment in ${args.path}, found ${found}` }],
            };
          const contents = source.replace(
            RAW_HTML_ASSIGNMENT,
            '(()=>{throw new TypeError("dangerouslySetInnerHTML is not allowed in this extension")})()',
          );
          return { contents, loader: 'js' };
        },
      );
    },
  };
}
