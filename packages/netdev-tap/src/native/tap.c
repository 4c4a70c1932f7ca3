/*
 * netlayers_tap: the few system calls Node cannot make by itself for a TAP
 * device — TUNSETIFF / TUNSETVNETHDRSZ / TUNSETOFFLOAD, batched non-blocking
 * read()/write() loops, and a libuv poll watcher on the fd (the "interrupt").
 *
 * Everything else (framing, virtio-net header mapping, NAPI budgets, skb
 * ownership) lives in TypeScript. Errors are reported as negative errno values
 * (data path) or thrown Errors whose `code` is the errno name (setup).
 */
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "ERR_TAP_NAPI", "N-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = "EIO";
  switch (err) {
    case EPERM: code = "EPERM"; break;
    case EACCES: code = "EACCES"; break;
    case ENOENT: code = "ENOENT"; break;
    case ENODEV: code = "ENODEV"; break;
    case EBUSY: code = "EBUSY"; break;
    case EINVAL: code = "EINVAL"; break;
    case EBADF: code = "EBADF"; break;
    case ENXIO: code = "ENXIO"; break;
  }
  napi_throw_error(env, code, msg);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, (int64_t)v, &r);
  return r;
}

/* bytes of a Uint8Array / Int32Array argument */
static int typed_data(napi_env env, napi_value v, void **data, size_t *bytes) {
  napi_typedarray_type t;
  size_t len, off;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &t, &len, data, &ab, &off) != napi_ok) return -1;
  switch (t) {
    case napi_uint8_array: *bytes = len; break;
    case napi_int32_array: *bytes = len * 4; break;
    default: return -1;
  }
  return 0;
}

/* open(name: string, vnetHdrLen: number, offload: number) -> [fd, ifname] */
static napi_value tap_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1];
  size_t nlen = 0;
  memset(name, 0, sizeof name);
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "name must be a string");
    return NULL;
  }
  int32_t vnet = 0, offload = 0;
  napi_get_value_int32(env, argv[1], &vnet);
  napi_get_value_int32(env, argv[2], &offload);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet > 0 ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, nlen < IFNAMSIZ - 1 ? nlen : IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETIFF", e);
  }
  if (vnet > 0) {
    int sz = vnet;
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
      int e = errno;
      close(fd);
      return throw_errno(env, "ioctl TUNSETVNETHDRSZ", e);
    }
  }
  if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(vnet > 0 ? offload : 0)) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETOFFLOAD", e);
  }
  napi_value out, jfd, jname;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_int32(env, fd, &jfd));
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &jname));
  napi_set_element(env, out, 0, jfd);
  napi_set_element(env, out, 1, jname);
  return out;
}

/*
 * writeBatch(fd, buf: Uint8Array, offs: Int32Array, lens: Int32Array, count) -> n | -errno
 * Writes frames buf[offs[i] .. offs[i]+lens[i]) one write() each until EAGAIN.
 */
static napi_value tap_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, count;
  void *buf, *offp, *lenp;
  size_t blen, olen, llen;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[4], &count);
  if (typed_data(env, argv[1], &buf, &blen) || typed_data(env, argv[2], &offp, &olen) ||
      typed_data(env, argv[3], &lenp, &llen) || count < 0 || (size_t)count * 4 > olen || (size_t)count * 4 > llen) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "writeBatch: bad arguments");
    return NULL;
  }
  int32_t *offs = (int32_t *)offp, *lens = (int32_t *)lenp;
  int32_t n = 0;
  while (n < count) {
    int32_t o = offs[n], l = lens[n];
    if (o < 0 || l < 0 || (size_t)o + (size_t)l > blen) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "writeBatch: frame outside buffer");
      return NULL;
    }
    ssize_t r = write(fd, (uint8_t *)buf + o, (size_t)l);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n == 0) return make_int(env, -errno);
      break;
    }
    n++;
  }
  return make_int(env, n);
}

/* The length of a JS array argument; -1 if it is not an array. */
static int array_len(napi_env env, napi_value v, uint32_t *n) {
  bool isArray = false;
  if (napi_is_array(env, v, &isArray) != napi_ok || !isArray) return -1;
  return napi_get_array_length(env, v, n) == napi_ok ? 0 : -1;
}

/* Memory of element i of a JS array of Uint8Arrays; -1 if it is not one. */
static int element_data(napi_env env, napi_value arr, uint32_t i, void **data, size_t *bytes) {
  napi_value v;
  if (napi_get_element(env, arr, i, &v) != napi_ok) return -1;
  return typed_data(env, v, data, bytes);
}

/*
 * readIntoBatch(fd, bufs: Uint8Array[], max, lens: Int32Array) -> n | -errno
 * Reads up to `max` frames, frame i into bufs[i] (each a receive page), until EAGAIN.
 */
static napi_value tap_read_into_batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, max;
  void *lensp;
  size_t llen;
  uint32_t nbufs = 0;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[2], &max);
  if (array_len(env, argv[1], &nbufs) || typed_data(env, argv[3], &lensp, &llen) || max < 0 || (uint32_t)max > nbufs || (size_t)max * 4 > llen) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "readIntoBatch: bad arguments");
    return NULL;
  }
  int32_t *lens = (int32_t *)lensp;
  int32_t n = 0;
  while (n < max) {
    void *d;
    size_t bytes;
    if (element_data(env, argv[1], (uint32_t)n, &d, &bytes)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "readIntoBatch: buffers must be Uint8Arrays");
      return NULL;
    }
    ssize_t r = read(fd, d, bytes);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n == 0) return make_int(env, -errno);
      break;
    }
    lens[n++] = (int32_t)r;
  }
  return make_int(env, n);
}

/*
 * writevBatch(fd, views: Uint8Array[], counts: Int32Array, count) -> n | -errno
 * Frame i is the concatenation of the next counts[i] views (its vnet header, its
 * linear bytes, its page fragments: the skb's own memory, no staging copy), sent
 * with one writev() each until EAGAIN. At most TAP_MAX_IOV views per frame.
 */
#define TAP_MAX_IOV 64
static napi_value tap_writev_batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, count;
  void *cntp;
  size_t clen;
  uint32_t nviews = 0;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[3], &count);
  if (array_len(env, argv[1], &nviews) || typed_data(env, argv[2], &cntp, &clen) || count < 0 || (size_t)count * 4 > clen) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "writevBatch: bad arguments");
    return NULL;
  }
  int32_t *counts = (int32_t *)cntp;
  struct iovec iov[TAP_MAX_IOV];
  uint32_t at = 0;
  int32_t n = 0;
  while (n < count) {
    int32_t k = counts[n];
    if (k < 1 || k > TAP_MAX_IOV || at + (uint32_t)k > nviews) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "writevBatch: frame views outside the array");
      return NULL;
    }
    for (int32_t j = 0; j < k; j++) {
      void *d;
      size_t bytes;
      if (element_data(env, argv[1], at + (uint32_t)j, &d, &bytes)) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writevBatch: views must be Uint8Arrays");
        return NULL;
      }
      iov[j].iov_base = d;
      iov[j].iov_len = bytes;
    }
    ssize_t r = writev(fd, iov, k);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n == 0) return make_int(env, -errno);
      break;
    }
    at += (uint32_t)k;
    n++;
  }
  return make_int(env, n);
}

/* ---------------------------------------------------------------- poll watcher */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int closing;
} tap_watch;

static void on_poll(uv_poll_t *h, int status, int events) {
  tap_watch *w = (tap_watch *)h->data;
  if (w->closing) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  if (napi_get_reference_value(env, w->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);
    napi_create_int32(env, status, &argv[0]);
    napi_create_int32(env, events, &argv[1]);
    /* make_callback: runs microtasks afterwards and reports exceptions as uncaught */
    napi_make_callback(env, w->ctx, recv, cb, 2, argv, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void on_close(uv_handle_t *h) {
  free(h->data);
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  (void)data; /* freed by uv_close; the external only points at it */
}

/* watch(fd, cb(status, events)) -> handle */
static napi_value tap_watch_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_get_value_int32(env, argv[0], &fd);
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  tap_watch *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  napi_create_reference(env, argv[1], 1, &w->cb);
  napi_value name;
  napi_create_string_utf8(env, "netlayers:tap", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  napi_value ext;
  CHECK(napi_create_external(env, w, watch_finalize, NULL, &ext));
  return ext;
}

static tap_watch *get_watch(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  tap_watch *w = (tap_watch *)p;
  return (w == NULL || w->closing) ? NULL : w;
}

/* setEvents(handle, events: 0 | UV_READABLE(1) | UV_WRITABLE(2)) -> 0 | -errno */
static napi_value tap_watch_set(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_watch *w = get_watch(env, argv[0]);
  int32_t ev = 0;
  napi_get_value_int32(env, argv[1], &ev);
  if (w == NULL) return make_int(env, -EBADF);
  int rc = ev == 0 ? uv_poll_stop(&w->poll) : uv_poll_start(&w->poll, ev & (UV_READABLE | UV_WRITABLE), on_poll);
  return make_int(env, rc);
}

/* ref(handle, on: boolean): whether the watcher keeps the event loop alive */
static napi_value tap_watch_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_watch *w = get_watch(env, argv[0]);
  bool on = true;
  napi_get_value_bool(env, argv[1], &on);
  if (w != NULL) {
    if (on) uv_ref((uv_handle_t *)&w->poll);
    else uv_unref((uv_handle_t *)&w->poll);
  }
  return NULL;
}

/* unwatch(handle): stops and closes the watcher (the fd stays open) */
static napi_value tap_watch_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_watch *w = get_watch(env, argv[0]);
  if (w == NULL) return NULL;
  w->closing = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->cb);
  napi_async_destroy(env, w->ctx);
  uv_close((uv_handle_t *)&w->poll, on_close);
  return NULL;
}

/* close(fd) -> 0 | -errno */
static napi_value tap_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_get_value_int32(env, argv[0], &fd);
  return make_int(env, close(fd) < 0 ? -errno : 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, tap_open, NULL, NULL, NULL, napi_default, NULL},
    {"writeBatch", NULL, tap_write_batch, NULL, NULL, NULL, napi_default, NULL},
    {"writevBatch", NULL, tap_writev_batch, NULL, NULL, NULL, napi_default, NULL},
    {"readIntoBatch", NULL, tap_read_into_batch, NULL, NULL, NULL, napi_default, NULL},
    {"watch", NULL, tap_watch_start, NULL, NULL, NULL, napi_default, NULL},
    {"setEvents", NULL, tap_watch_set, NULL, NULL, NULL, napi_default, NULL},
    {"ref", NULL, tap_watch_ref, NULL, NULL, NULL, napi_default, NULL},
    {"unwatch", NULL, tap_watch_close, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, tap_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
