// BIP-340 Schnorr verification for Nostr events, calling the system libsecp256k1 (N-API: one binary for
// every Node ABI).
//   verify(id: Buffer(32), pubkey: Buffer(32), sig: Buffer(64)) -> boolean
//   verifyBatch(items: Buffer(n*128), results: Buffer(n), done: () => void)
//     items holds n records of id|pubkey|sig; each is verified on libuv's thread pool, results[i] set to 1 or 0,
//     then done() runs on the JS thread. The event loop goes on meanwhile: verification is the relay's costliest
//     step per event, and this moves it to the other core.
#include <node_api.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <pthread.h>
#include <stdlib.h>

// Verification only reads the context, so the pool's threads share it.
static secp256k1_context *ctx;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void create_ctx(void) { ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY); }

static int verify_one(const unsigned char *msg, const unsigned char *pub, const unsigned char *sig) {
  secp256k1_xonly_pubkey xonly;
  return secp256k1_xonly_pubkey_parse(ctx, &xonly, pub) && secp256k1_schnorrsig_verify(ctx, sig, msg, 32, &xonly) == 1;
}

static int bytes_arg(napi_env env, napi_value v, unsigned char **out, size_t *len) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return 0;
  return napi_get_buffer_info(env, v, (void **)out, len) == napi_ok;
}

static napi_value verify(napi_env env, napi_callback_info info) {
  size_t argc = 3, len[3];
  napi_value argv[3], result;
  unsigned char *msg, *pub, *sig;
  int ok = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 3 && bytes_arg(env, argv[0], &msg, &len[0]) && len[0] == 32 && bytes_arg(env, argv[1], &pub, &len[1]) &&
      len[1] == 32 && bytes_arg(env, argv[2], &sig, &len[2]) && len[2] == 64) {
    ok = verify_one(msg, pub, sig);
  }
  napi_get_boolean(env, ok, &result);
  return result;
}

typedef struct {
  napi_async_work work;
  napi_ref items_ref, results_ref, done_ref;
  unsigned char *items, *results;
  size_t count;
} batch;

static void batch_execute(napi_env env, void *data) {
  batch *b = data;
  (void)env;
  for (size_t i = 0; i < b->count; i++) {
    const unsigned char *r = b->items + i * 128;
    b->results[i] = (unsigned char)verify_one(r, r + 32, r + 64);
  }
}

// Releases what a batch holds; each part only if it was made (calloc left the rest NULL).
static void batch_free(napi_env env, batch *b) {
  if (b->items_ref) napi_delete_reference(env, b->items_ref);
  if (b->results_ref) napi_delete_reference(env, b->results_ref);
  if (b->done_ref) napi_delete_reference(env, b->done_ref);
  if (b->work) napi_delete_async_work(env, b->work);
  free(b);
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  batch *b = data;
  napi_value done, global;
  (void)status;
  napi_get_reference_value(env, b->done_ref, &done);
  napi_get_global(env, &global);
  batch_free(env, b);
  // An exception thrown by done() is reported by Node as uncaught, as for any callback.
  napi_call_function(env, global, done, 0, NULL, NULL);
}

static napi_value verify_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3, items_len, results_len;
  napi_value argv[3], name;
  napi_valuetype type;
  unsigned char *items, *results;
  batch *b;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 3 || !bytes_arg(env, argv[0], &items, &items_len) || !bytes_arg(env, argv[1], &results, &results_len) ||
      items_len != results_len * 128 || napi_typeof(env, argv[2], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "verifyBatch(items: Buffer(n*128), results: Buffer(n), done: function)");
    return NULL;
  }
  b = calloc(1, sizeof *b);
  if (!b) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  b->items = items;
  b->results = results;
  b->count = results_len;
  // The references keep both buffers (and so their memory) alive until the batch completes.
  if (napi_create_reference(env, argv[0], 1, &b->items_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &b->results_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &b->done_ref) != napi_ok ||
      napi_create_string_utf8(env, "nostr_secp256k1.verifyBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, batch_execute, batch_complete, b, &b->work) != napi_ok) {
    batch_free(env, b);
    napi_throw_error(env, NULL, "verifyBatch: cannot start the batch");
    return NULL;
  }
  if (napi_queue_async_work(env, b->work) != napi_ok) {
    batch_free(env, b);
    napi_throw_error(env, NULL, "verifyBatch: cannot queue the batch");
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  // once per process, whichever thread (main or a worker) loads the addon first
  pthread_once(&ctx_once, create_ctx);
  napi_create_function(env, "verify", NAPI_AUTO_LENGTH, verify, NULL, &fn);
  napi_set_named_property(env, exports, "verify", fn);
  napi_create_function(env, "verifyBatch", NAPI_AUTO_LENGTH, verify_batch, NULL, &fn);
  napi_set_named_property(env, exports, "verifyBatch", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
