import { parse, type OperationDefinitionNode } from 'graphql';
import { operationLabel, outcomeLabel } from './request-metrics';

const ALLOWED = new Set(['apply', 'event', 'me']);
const operation = (query: string): OperationDefinitionNode => parse(query).definitions[0] as OperationDefinitionNode;

describe('the request histogram labels (bounded: the schema root fields and the contract codes)', () => {
  it('labels an operation by its one root field', () => {
    expect(operationLabel(operation('mutation { apply(eventId: "1") { outcome } }'), ALLOWED)).toBe('apply');
    expect(operationLabel(operation('{ __typename me { id } }'), ALLOWED)).toBe('me');
  });

  it('labels several root fields, unknown fields, introspection and unparsed requests as other', () => {
    expect(operationLabel(operation('{ me { id } event(id: "1") { id } }'), ALLOWED)).toBe('other');
    expect(operationLabel(operation('{ anythingAnAttackerSends }'), ALLOWED)).toBe('other');
    expect(operationLabel(operation('{ __schema { types { name } } }'), ALLOWED)).toBe('other');
    expect(operationLabel(undefined, ALLOWED)).toBe('other');
  });

  it('labels the outcome ok, or the first public error code, anything else as INTERNAL_SERVER_ERROR', () => {
    expect(outcomeLabel(undefined)).toBe('ok');
    expect(outcomeLabel([])).toBe('ok');
    expect(outcomeLabel([{ message: 'x', extensions: { code: 'RATE_LIMITED' } }, { message: 'y' }])).toBe('RATE_LIMITED');
    expect(outcomeLabel([{ message: 'x', extensions: { code: 'SOMETHING_NEW' } }])).toBe('INTERNAL_SERVER_ERROR');
    expect(outcomeLabel([{ message: 'x' }])).toBe('INTERNAL_SERVER_ERROR');
  });
});
