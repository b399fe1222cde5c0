#!/usr/bin/env node
// `npm start`: the whole platform on this machine until Ctrl-C, which stops every part in order.
'use strict';

const { startPlatform } = require('./platform.js');

async function main() {
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
      `  Logs:                              .infra/logs/{auth,event,issuer,bff}.log`,
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
