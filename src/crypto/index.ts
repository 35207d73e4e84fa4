export {
  Key,
  parseKey,
  loadKey,
  isEncryptedKey,
  DEFAULT_SCHEMES,
  type KeyType,
  type KeyIDFormat,
  type PublicKeyDict,
  type Signer,
  type LoadKeyOptions,
} from './keys.js';
export { legacyKeyID, newKeyID, KEYID_HASH_ALGORITHMS } from './keyid.js';
export { generateKeyPair, type GenerateKeyOptions, type GeneratedKeyPair } from './keygen.js';
export { sslEncrypt, sslDecrypt, isSSLEncrypted } from './securesystemslib-encryption.js';
