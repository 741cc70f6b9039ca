import type { paths } from './schema.js';

type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];
type JsonContent<R> = R extends { content: { 'application/json': infer T } } ? T : unknown;

/** The query parameters of an operation. */
export type Query<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The JSON request body of an operation. */
export type Body<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonContent<NonNullable<B>> : never;

/** The JSON answer of an operation's success (201, 202 or 200: a write's 200 is the replay of its 201). */
export type Json<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 201: infer S } ? JsonContent<S> : R extends { 202: infer S } ? JsonContent<S> : R extends { 200: infer S } ? JsonContent<S> : unknown
    : never;
