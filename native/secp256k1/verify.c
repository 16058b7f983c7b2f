// BIP-340 Schnorr verification for Nostr events, calling the system libsecp256k1 (N-API: one binary for
// every Node ABI). verify(id: Buffer(32), pubkey: Buffer(32), sig: Buffer(64)) -> boolean.
#include <node_api.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

static secp256k1_context *ctx;

static int bytes_arg(napi_env env, napi_value v, size_t want, unsigned char **out) {
  bool is_buffer = false;
  size_t len = 0;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return 0;
  if (napi_get_buffer_info(env, v, (void **)out, &len) != napi_ok) return 0;
  return len == want;
}

static napi_value verify(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_value result;
  unsigned char *msg, *pub, *sig;
  secp256k1_xonly_pubkey xonly;
  int ok = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 3 && bytes_arg(env, argv[0], 32, &msg) && bytes_arg(env, argv[1], 32, &pub) &&
      bytes_arg(env, argv[2], 64, &sig) && secp256k1_xonly_pubkey_parse(ctx, &xonly, pub)) {
    ok = secp256k1_schnorrsig_verify(ctx, sig, msg, 32, &xonly);
  }
  napi_get_boolean(env, ok == 1, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (!ctx) ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  napi_create_function(env, "verify", NAPI_AUTO_LENGTH, verify, NULL, &fn);
  napi_set_named_property(env, exports, "verify", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
