// Fails fast with a clear message when npm scripts run on a Node older than 24
// (libp2p 3 needs Promise.withResolvers and friends). `npm ci` installs Node 24
// from the npm registry (the `node` dev dependency) and npm scripts find it
// first on PATH, so this only trips when someone runs a script by hand.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`p2p-matrix needs Node 24 (found ${process.version}). Run \`npm ci\` and use npm scripts.`);
  process.exit(1);
}
