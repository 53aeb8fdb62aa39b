// `p2p-matrix` command line: subcommands are filled in by the homeserver and
// federation issues.
const [command] = process.argv.slice(2);
console.error(`p2p-matrix: unknown command ${command ?? '(none)'}`);
process.exit(2);
