import { runInNewContext } from 'node:vm';
import { Metadata, status } from '@grpc/grpc-js';
import pino from 'pino';
import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import { ConnectionRefusedError, DatabaseError, UniqueConstraintError } from 'sequelize';
import { classifyError, grpcErrorInfo, REASON_KEY, RETRY_AFTER_KEY, ServiceError, toGrpcError } from './errors';

const logger = pino({ level: 'silent' });

describe('toGrpcError', () => {
  it('keeps a ServiceError code, message, reason and retry-after', () => {
    const mapped = toGrpcError(ServiceError.resourceExhausted('slow down', 42), logger, 'm');
    expect(mapped.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(mapped.details).toBe('slow down');
    expect(mapped.metadata?.get(REASON_KEY)).toEqual(['RATE_LIMITED']);
    expect(mapped.metadata?.get(RETRY_AFTER_KEY)).toEqual(['42']);
  });

  it('turns a refused connection into UNAVAILABLE', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
    expect(toGrpcError(err, logger, 'm').code).toBe(status.UNAVAILABLE);
  });

  it('turns a deadlock into UNAVAILABLE: a retry can succeed', () => {
    expect(toGrpcError(mysqlError(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found'), logger, 'm').code).toBe(status.UNAVAILABLE);
  });

  it('hides anything unexpected behind a plain INTERNAL message', () => {
    const mapped = toGrpcError(new TypeError('cannot read properties of undefined (reading "x")'), logger, 'm');
    expect(mapped.code).toBe(status.INTERNAL);
    expect(mapped.details).toBe('internal error');
  });
});

/** An error as mysql2 reports one from the server, wrapped the way Sequelize throws it. */
function mysqlError(errno: number, code: string, message: string): DatabaseError {
  const parent = Object.assign(new Error(message), { errno, code, sqlState: 'HY000', sql: 'INSERT ...' });
  return new DatabaseError(Object.assign(parent, { parameters: {} }));
}

describe('classifyError', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
      'connection',
    ],
    ['a socket timeout', Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'timeout'],
    ['MySQL refusing the connection', new ConnectionRefusedError(new Error('connect ECONNREFUSED')), 'connection'],
    ['a deadlock', mysqlError(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock'), 'deadlock'],
    ['a lock wait timeout', mysqlError(1205, 'ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout exceeded'), 'lock wait timeout'],
    ['MariaDB shutting down', mysqlError(1053, 'ER_SERVER_SHUTDOWN', 'Server shutdown in progress'), 'server shutting down'],
    [
      'a connection mysql2 closed',
      new DatabaseError(
        Object.assign(new Error("Can't add new command when connection is in closed state"), {
          fatal: true,
          sql: '',
          parameters: {},
        }),
      ),
      'connection',
    ],
    [
      // What the issuer met when MariaDB was killed mid-write, inside jest: Node's own EPIPE is made in another realm
      // (not `instanceof Error` there), wrapped by Sequelize; the chain must still reach it.
      'a write on a socket MySQL closed, the cause from another realm',
      new DatabaseError(
        Object.assign(runInNewContext("new Error('This socket has been ended by the other party')") as Error, {
          code: 'EPIPE',
          sql: '',
          parameters: {},
        }),
      ),
      'connection',
    ],
    ['Redis out of retries', new MaxRetriesPerRequestError(2), 'connection'],
    ['Redis closed', new Error('Connection is closed.'), 'connection'],
    [
      'Redis loading its data after a restart',
      new ReplyError('LOADING Redis is loading the dataset in memory'),
      'redis not ready',
    ],
    ['a broker out of reach', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), 'connection'],
    [
      'a retriable broker answer',
      new KafkaJSProtocolError(Object.assign(new Error('leader not available'), { retriable: true })),
      'kafka',
    ],
    ['UNAVAILABLE from a service', ServiceError.unavailable('down'), 'UNAVAILABLE'],
  ])('retries %s', (_what, err, kind) => {
    const { retriable, reason } = classifyError(err);
    expect(retriable).toBe(true);
    expect(reason.startsWith(`${kind}: `)).toBe(true);
  });

  it.each([
    [
      'a value MySQL refuses',
      mysqlError(1292, 'ER_TRUNCATED_WRONG_VALUE', "Incorrect datetime value: '11476-01-01' for column `applied_at`"),
      "ER_TRUNCATED_WRONG_VALUE: Incorrect datetime value: '11476-01-01' for column `applied_at`",
    ],
    [
      'a constraint',
      new UniqueConstraintError({ parent: Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', sql: '' }) }),
      'ER_DUP_ENTRY: Duplicate entry',
    ],
    [
      'a script error',
      new ReplyError('ERR user_script:1: Script attempted to access nonexistent global variable'),
      /^ReplyError: ERR/,
    ],
    [
      'a broker refusing the request',
      new KafkaJSProtocolError(Object.assign(new Error('message too large'), { retriable: false })),
      'KafkaJSProtocolError: message too large',
    ],
    ['a bug', new TypeError("cannot read properties of undefined (reading 'x')"), /^TypeError: cannot read/],
    ['a refusal by a service', ServiceError.invalidArgument('bad id'), 'INVALID_ARGUMENT: bad id'],
    ['something that is not an Error', 'oops', 'not an Error: oops'],
  ])('does not retry %s, and says why', (_what, err, reason) => {
    const classified = classifyError(err);
    expect(classified.retriable).toBe(false);
    if (typeof reason === 'string') expect(classified.reason).toBe(reason);
    else expect(classified.reason).toMatch(reason);
  });
});

describe('grpcErrorInfo', () => {
  it('reads the reason and throttle back from metadata', () => {
    const metadata = new Metadata();
    metadata.set(REASON_KEY, 'INVALID_CODE');
    metadata.set(RETRY_AFTER_KEY, '7');
    expect(grpcErrorInfo({ code: status.PERMISSION_DENIED, details: 'wrong code', metadata })).toEqual({
      code: status.PERMISSION_DENIED,
      message: 'wrong code',
      reason: 'INVALID_CODE',
      retryAfterSeconds: 7,
    });
  });
});
