/**
 * The registry of commands. Each module defines its flags with commander (cheap) and loads the
 * library only inside its action, so start-up stays small.
 */
import type { Command } from 'commander';
import { register as keygen } from './keygen.js';
import { register as key } from './key.js';
import { register as sign } from './sign.js';
import { register as run } from './run.js';
import { register as record } from './record.js';
import { register as mock } from './mock.js';
import { register as matchProducts } from './match-products.js';
import { register as verify } from './verify.js';
import { register as layout } from './layout.js';

export type RegisterCommand = (program: Command) => void;

/** Each command by the name it is run as (the first word after `intoto`). */
export const COMMANDS: Readonly<Record<string, RegisterCommand>> = {
  keygen,
  key,
  sign,
  run,
  record,
  mock,
  'match-products': matchProducts,
  verify,
  layout,
};
