// Generates webcrypto-vector.json once with WebCrypto (Node's crypto.subtle), using the layout ART documents:
// PBKDF2-HMAC-SHA256 (>= 600,000 iterations, 16-byte salt) -> AES-256-GCM key; per secret a random 96-bit nonce,
// the instance id as additional data, stored as base64(nonce || ciphertext || 128-bit tag).
// Run: node generate-webcrypto-vector.mjs > webcrypto-vector.json   (kept as test data; not run by the tests)
const { subtle } = globalThis.crypto;
const getRandomValues = (a) => globalThis.crypto.getRandomValues(a);
const enc = new TextEncoder();
const password = "correct horse battery staple";
const iterations = 600000;
const salt = getRandomValues(new Uint8Array(16));
const base = await subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveKey"]);
const key = await subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
async function seal(plaintext, aad) {
  const iv = getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(aad), tagLength: 128 }, key, enc.encode(plaintext)));
  const blob = new Uint8Array(iv.length + ct.length);
  blob.set(iv, 0); blob.set(ct, iv.length);
  return Buffer.from(blob).toString("base64");
}
const instanceId = "openai-main";
const apiKey = "test-api-key-not-real-0001";
console.log(JSON.stringify({
  generator: "Node " + process.version + " crypto.subtle",
  password, iterations, salt: Buffer.from(salt).toString("base64"),
  verifierPlaintext: "art-secrets-verifier-v1", verifierAssociatedData: "$verifier",
  verifier: await seal("art-secrets-verifier-v1", "$verifier"),
  instanceId, apiKey, ciphertext: await seal(apiKey, instanceId),
}, null, 2));
