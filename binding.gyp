{
  "targets": [
    {
      "target_name": "minicache_native",
      "sources": [
        "native/addon.cc",
        "native/tap.cc",
        "native/blkdev.cc",
        "native/checksum.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-std=c++17"]
    }
  ]
}
