import { codeName, methodLabels } from './grpc-metrics';

describe('standard gRPC metric labels', () => {
  it('splits the method path into grpc_service and grpc_method, with the call type', () => {
    expect(methodLabels('/fcfs.v1.EventService/ApplyBatch', false, false)).toEqual({
      grpc_type: 'unary',
      grpc_service: 'fcfs.v1.EventService',
      grpc_method: 'ApplyBatch',
    });
    expect(methodLabels('/fcfs.v1.EventService/WatchEvent', false, true).grpc_type).toBe('server_stream');
    expect(methodLabels('/a.B/C', true, true).grpc_type).toBe('bidi_stream');
    expect(methodLabels('/a.B/C', true, false).grpc_type).toBe('client_stream');
    expect(methodLabels('garbage', false, false)).toMatchObject({ grpc_service: 'unknown', grpc_method: 'unknown' });
  });

  it('labels the code by its name, as go-grpc-prometheus does', () => {
    expect([0, 3, 14, 16].map(codeName)).toEqual(['OK', 'INVALID_ARGUMENT', 'UNAVAILABLE', 'UNAUTHENTICATED']);
    expect(codeName(99)).toBe('UNKNOWN');
  });
});
