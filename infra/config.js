// @ts-check
/** The infrastructure's addresses from the environment, with the local defaults. */
'use strict';

const { InfraError } = require('./lib/errors.js');

/**
 * @typedef {object} InfraConfig
 * @property {string[]} kafkaBrokers
 * @property {string} redisUrl
 * @property {string} mysqlUrl
 * @property {string} sesEndpoint
 * @property {number} applicationsPartitions
 */

/** @returns {InfraConfig} configuration from the environment, with the local defaults */
function config() {
  const env = process.env;
  const kafkaBrokers = (env.KAFKA_BROKERS || '127.0.0.1:9092')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const partitions = Number.parseInt(env.KAFKA_APPLICATIONS_PARTITIONS || '6', 10);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new InfraError(`KAFKA_APPLICATIONS_PARTITIONS must be a positive integer (got "${env.KAFKA_APPLICATIONS_PARTITIONS}")`);
  }
  return {
    kafkaBrokers,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    mysqlUrl: env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/fcfs',
    sesEndpoint: (env.SES_ENDPOINT || 'http://127.0.0.1:8005').replace(/\/+$/, ''),
    applicationsPartitions: partitions,
  };
}

/** @param {string} hostPort @param {number} defPort */
function splitHostPort(hostPort, defPort) {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostPort.trim());
  if (!m || !m[1]) throw new InfraError(`cannot parse host:port "${hostPort}"`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defPort };
}

/** @param {string} url @param {number} defPort */
function urlHostPort(url, defPort) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new InfraError(`cannot parse URL "${url}"`);
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : defPort, url: u };
}

module.exports = { config, splitHostPort, urlHostPort };
