export {
  Metablock,
  DSSEEnvelope,
  parseMetadata,
  pae,
  DSSE_PAYLOAD_TYPE,
  DEFAULT_MAX_SIGNATURES,
  type SignedMetadata,
  type SignatureEntry,
  type SignatureStatus,
  type EnvelopeOptions,
} from './envelope.js';
export {
  Link,
  type LinkInit,
  type ArtifactMap,
  type ArtifactSource,
  type HashDict,
} from './link.js';
export {
  Layout,
  Step,
  Inspection,
  parseExpires,
  formatExpires,
  checkItemName,
  type LayoutInit,
  type StepInit,
  type InspectionInit,
  type RuleValidator,
} from './layout.js';
export {
  ensureDirectory,
  ensureWritableDirectory,
  writeFileAtomic,
  type FileContent,
} from './write.js';
