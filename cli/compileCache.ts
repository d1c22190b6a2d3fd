/**
 * Every command is a new process that loads the Temporal client, protobuf
 * and zod: Node's on-disk V8 compile cache (in the OS temp directory, keyed
 * by file contents) saves it compiling them again, about 50 ms a command.
 * Imported first by main.ts, so it is on before anything else loads.
 */
import * as nodeModule from 'node:module';

nodeModule.enableCompileCache?.();
