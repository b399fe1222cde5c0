// @ts-check
'use strict';

/** An expected failure: the CLI prints only its message (no stack) and exits 1. */
class InfraError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'InfraError';
  }
}

module.exports = { InfraError };
