#!/usr/bin/env node
// `npm start`: the whole platform on this machine until Ctrl-C, which stops every part in order.
'use strict';

const { startPlatform, parseReplicas } = require('./platform.js');

const USAGE = `usage: npm start [-- --replicas part=count,...]
  --replicas bff=2,event=3,issuer=2   several processes of a part (production shape; default one each)`;

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, number>} */
  let replicas = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    if (arg === '--help' || arg === '-h') {
      console.error(USAGE);
      process.exit(0);
    }
    const inline = /^--replicas=(.*)$/.exec(arg);
    if (inline || arg === '--replicas') {
      const value = inline ? inline[1] : argv[++i];
      if (!value) throw new Error(`--replicas needs a value, e.g. bff=2,event=3,issuer=2\n${USAGE}`);
      replicas = parseReplicas(value);
      continue;
    }
    throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  return { replicas };
}

async function main() {
  const { replicas } = parseArgs(process.argv.slice(2));
  let stopping;
  let platform;
  const stopAll = (/** @type {string} */ why, code = 0) => {
    if (stopping) return;
    console.error(`\nplatform: ${why}; stopping...`);
    stopping = (platform ? platform.stop() : Promise.resolve()).then(
      () => process.exit(code),
      (err) => {
        console.error(`platform: stop failed: ${err && err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stopAll('interrupted'));
  process.on('SIGTERM', () => stopAll('terminated'));

  platform = await startPlatform({
    replicas,
    onUnexpectedExit: (name, code) => stopAll(`${name} exited unexpectedly (code ${code}); see .infra/logs/${name}.log`, 1),
  });
  if (stopping) return;
  console.error(
    [
      '',
      'The platform is up.',
      `  Web app:                           ${platform.bffUrl.replace(/\/graphql$/, '/')}`,
      `  GraphQL (HTTP POST and WebSocket): ${platform.bffUrl}`,
      `  E-mails sent (SES emulator):       ${platform.sesUrl}`,
      `  Admin address (sign in with it):   ${platform.adminEmail}`,
      `  Logs:                              .infra/logs/{${platform.replicas.map((r) => r.name).join(',')}}.log`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(`platform: ${err && err.message ? err.message : String(err)}`);
  process.exit(1);
});
