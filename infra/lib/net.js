// @ts-check
/**
 * Port and host checks shared by infra/, scripts/ (npm start) and the test support
 * (typed for TypeScript by net.d.ts beside this file).
 */
'use strict';

const os = require('node:os');
const net = require('node:net');
const { InfraError } = require('./errors.js');

/** @param {string} host whether host names this machine */
function isLocalHost(host) {
  if (['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::'].includes(host) || host.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((list) => (list || []).some((i) => i.address === host));
}

/**
 * Whether something accepts connections on host:port.
 * @param {string} host @param {number} port @param {number} [timeoutMs] @returns {Promise<boolean>}
 */
function hasListener(host, port, timeoutMs = 700) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (/** @type {boolean} */ ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Whether host:port can be listened on now.
 * @param {string} host @param {number} port @returns {Promise<boolean>}
 */
function canListen(host, port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on now (the kernel's pick): connections to it are refused until someone takes it.
 * @param {string} [host] @returns {Promise<number>}
 */
function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * A port p such that p and p+1 are both free on host (Kafka uses p+1 for its controller).
 * @param {string} [host] @returns {Promise<number>}
 */
async function freePortPair(host = '127.0.0.1') {
  for (let i = 0; i < 50; i++) {
    const p = await freePort(host);
    if (p > 0 && p < 65535 && (await canListen(host, p)) && (await canListen(host, p + 1))) return p;
  }
  throw new InfraError('could not find two free consecutive ports');
}

/**
 * An allocator of free ports that never hands out the same port twice. The kernel may answer two binds to
 * port 0 with the same number once the first socket is closed, so ports planned one after another (a
 * platform's every part and replica) could collide: one part then dies on EADDRINUSE.
 * @param {() => Promise<number>} [allocate]
 * @returns {() => Promise<number>}
 */
function distinctFreePorts(allocate = () => freePort()) {
  const given = new Set();
  return async () => {
    for (let i = 0; i < 100; i++) {
      const port = await allocate();
      if (!given.has(port)) {
        given.add(port);
        return port;
      }
    }
    throw new InfraError('could not find a free port not handed out already');
  };
}

module.exports = { isLocalHost, hasListener, canListen, freePort, freePortPair, distinctFreePorts };
