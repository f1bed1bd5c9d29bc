// The package's public surface: the client library and the handler API.
export * from './client';
export { signatureHeader, verifySignature, SIGNATURE_HEADER } from './client/signature';
export {
  defineHandler,
  BusinessRuleError,
  PermanentCommandError,
  TransientCommandError,
  type Command as HandlerCommand,
  type HandlerContext,
  type HandlerDefinition,
} from './commands/handlers';
