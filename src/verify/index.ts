export { verifyLayout, checkLayoutDigest, type VerifyOptions } from './verify.js';
export type {
  VerificationReport,
  StepReport,
  LinkReport,
  FailureReport,
  FailedArtifact,
  RuleListReport,
} from './report.js';
export { substitute } from './substitute.js';
