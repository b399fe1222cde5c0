import { classify } from './hammer';

describe('classify', () => {
  it('reads the apply outcome', () => {
    expect(classify(200, '{"data":{"apply":{"outcome":"ACCEPTED","application":{"status":"PENDING","position":3}}}}')).toEqual({
      outcome: 'ACCEPTED',
    });
    expect(classify(200, '{"data":{"verifyCode":{"token":"x"}}}')).toEqual({ outcome: 'OK' });
  });

  it('counts GraphQL errors by their code, and other failures by HTTP status', () => {
    expect(classify(200, '{"errors":[{"message":"slow down","extensions":{"code":"RATE_LIMITED"}}],"data":null}')).toEqual({
      error: 'RATE_LIMITED',
    });
    expect(classify(400, '{"errors":[{"message":"bad","extensions":{"code":"BAD_USER_INPUT"}}]}')).toEqual({
      error: 'BAD_USER_INPUT',
    });
    expect(classify(502, 'Bad Gateway')).toEqual({ error: 'HTTP_502' });
    expect(classify(200, '{"errors":[]')).toEqual({ error: 'GRAPHQL_ERROR' });
  });
});
