{
  "targets": [
    {
      "target_name": "nostr_secp256k1",
      "sources": ["verify.c"],
      "cflags": ["-O3"],
      "libraries": ["-lsecp256k1"]
    }
  ]
}
