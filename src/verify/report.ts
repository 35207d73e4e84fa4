/**
 * The verification report: what `intoto verify` prints for people and, with `--json`, for machines.
 * Field names are snake_case because the JSON form is the interface (documented in README).
 */
import type { HashDict, MatchMiss, RuleTrace } from '../rules/index.js';

export interface LinkReport {
  file: string;
  keyid: string;
  /** counted: valid and authorised; otherwise why it was not counted. */
  status: 'counted' | 'missing' | 'rejected';
  reason?: string;
}

export interface RuleListReport {
  rules: number;
  /** One entry per rule applied: the rule, how many artifacts it selected and consumed, queue after. */
  trace: RuleTrace[];
}

export interface StepReport {
  name: string;
  type: 'step' | 'inspection';
  ok: boolean;
  threshold?: number;
  links?: LinkReport[];
  signers?: string[];
  command?: string[];
  return_value?: number;
  materials?: RuleListReport;
  products?: RuleListReport;
  sublayout?: VerificationReport;
  /**
   * Set on the one step or inspection where verification stopped (the same object as the report's
   * `failure`). `ok: false` without `failure` means verification stopped before this item was checked.
   */
  failure?: FailureReport;
}

export interface FailedArtifact {
  path: string;
  /** The artifact's hashes in the item being checked. */
  here?: HashDict;
  /** The hashes it was compared with, when an earlier MATCH found it different or missing. */
  there?: HashDict;
  /** Why an earlier MATCH did not consume it. */
  explanation?: string;
  match?: MatchMiss;
}

export interface FailureReport {
  code: string;
  message: string;
  hint?: string;
  step?: string;
  /** "materials" or "products" for rule failures. */
  kind?: string;
  rule?: string[];
  artifacts?: FailedArtifact[];
  file?: string;
}

export interface VerificationReport {
  ok: boolean;
  layout: { path?: string; keyids: string[]; expires?: string };
  steps: StepReport[];
  inspections: StepReport[];
  warnings: string[];
  failure?: FailureReport;
}
