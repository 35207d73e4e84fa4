/**
 * The registry of commands. Each module defines its flags with commander (cheap) and loads the
 * library only inside its action, so start-up stays small.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [];
