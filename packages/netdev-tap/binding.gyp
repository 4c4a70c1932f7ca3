{
  "targets": [
    {
      "target_name": "netlayers_tap",
      "sources": ["src/native/tap.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
