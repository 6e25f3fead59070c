{
  "targets": [
    {
      "target_name": "rxipc",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/threads.cc",
        "src/waiter.cc",
        "src/pipe.cc",
        "src/fifo.cc",
        "src/sysv_ipc.cc",
        "src/sysv_msg.cc",
        "src/putback.cc",
        "src/streaming.cc",
        "src/handles.cc",
        "src/mapping.cc",
        "src/sysv_shm.cc",
        "src/posix_shm.cc",
        "src/sysv_sem.cc",
        "src/posix_sem.cc",
        "src/socket.cc",
        "src/signal.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "ldflags": ["-pthread"]
    }
  ]
}
