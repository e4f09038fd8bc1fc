import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { statusForError } from '../http/errors.ts';

/** An error answered with a gRPC status code. */
export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  readonly code: GrpcStatus;

  constructor(code: GrpcStatus, message: string) {
    super(message);
    this.code = code;
  }
}

export const unimplemented = (message: string): GrpcError => new GrpcError(GrpcStatus.UNIMPLEMENTED, message);
export const invalidArgument = (message: string): GrpcError => new GrpcError(GrpcStatus.INVALID_ARGUMENT, message);

/** The gRPC status for an error the REST API would answer with an HTTP status. */
export function grpcStatusFor(error: unknown): GrpcStatus {
  if (error instanceof GrpcError) return error.code;
  switch (statusForError(error)) {
    case 400:
    case 413:
    case 422:
      return GrpcStatus.INVALID_ARGUMENT;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.NOT_FOUND;
    case 503:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.INTERNAL;
  }
}

export function serviceError(error: unknown): Partial<ServiceError> {
  return { code: grpcStatusFor(error), details: error instanceof Error ? error.message : String(error) };
}
