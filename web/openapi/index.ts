// The hub's OpenAPI 3.1 document, its route, and the stable problem codes.
export { appRoutes, type AppRoute } from './app-routes.ts';
export {
  OPENAPI_PATH,
  buildOpenApiDocument,
  toOpenApiPath,
  type OpenApiDocument,
  type OpenApiOptions,
} from './document.ts';
export { openApiRoutes } from './openapi.routes.ts';
export { OPERATIONS, type Access, type OperationSpec } from './operations.ts';
export { ALL_PROBLEM_CODES, PROBLEM_CODES, type ProblemCode } from './problem-codes.ts';
export { RESPONSE_SCHEMAS } from './schemas.ts';
