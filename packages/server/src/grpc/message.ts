/**
 * A decoded gRPC message: the plain object @grpc/proto-loader makes of it
 * (keepCase, oneofs as fields). The handlers read fields by their proto names,
 * so one loose type for every message is the honest description.
 */
// biome-ignore lint/suspicious/noExplicitAny: proto-loader messages are untyped by construction (see above)
export type Message = Record<string, any>;
