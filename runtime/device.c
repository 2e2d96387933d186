/* device.c - per-device state, created on first use. */
#include "device.h"

#include "capture_mode.h"
#include "config.h"
#include "driver.h"
#include "resumer.h"
#include "status.h"

#include <string.h>

enum gp__device_state {
  GP__DEVICE_UNINIT = 0, /* nothing has used it yet */
  GP__DEVICE_READY,      /* initialized, can preempt */
  GP__DEVICE_FAILED,     /* init_status says why; never retried */
};

static struct gp__device devices[GP__MAX_DEVICES];
/* Written with release once a device is ready or failed, so that a reader
 * that sees READY (acquire) sees the whole initialized state. */
static atomic_int device_state[GP__MAX_DEVICES];
static gp_status init_status[GP__MAX_DEVICES];
static int init_cuda_error[GP__MAX_DEVICES]; /* behind a GP_ERROR_CUDA */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_once_t count_once = PTHREAD_ONCE_INIT;
static int count_value;
static cudaError_t count_error;

static void query_count(void) {
  count_error = cudaGetDeviceCount(&count_value);
  if (count_error != cudaSuccess) {
    /* No driver here is a normal situation for gpreempt (the program runs
     * plain); keep it out of the user's cudaGetLastError. */
    (void)cudaGetLastError();
    count_value = 0;
  }
}

gp_status gp__device_count(int *count) {
  pthread_once(&count_once, query_count);
  *count = count_value;
  if (count_error == cudaErrorNoDevice ||
      count_error == cudaErrorInsufficientDriver ||
      (count_error == cudaSuccess && count_value == 0))
    return GP_ERROR_NO_DEVICE;
  if (count_error != cudaSuccess)
    return gp__cuda_failure(count_error);
  return GP_SUCCESS;
}

static gp_status check_ordinal(int ordinal) {
  if (ordinal < 0)
    return GP_ERROR_INVALID_VALUE;
  int count;
  gp_status st = gp__device_count(&count);
  if (st != GP_SUCCESS)
    return st;
  if (ordinal >= count || ordinal >= GP__MAX_DEVICES)
    return GP_ERROR_INVALID_DEVICE;
  return GP_SUCCESS;
}

gp_status gp__device_enter(struct gp__device *d, bool *pushed) {
  const struct gp__driver *drv = gp__driver();
  CUcontext current = NULL;
  *pushed = false;
  CUresult r = drv->CtxGetCurrent(&current);
  if (r != CUDA_SUCCESS)
    return gp__cuda_failure((int)r);
  if (current == d->ctx)
    return GP_SUCCESS;
  r = drv->CtxPushCurrent(d->ctx);
  if (r != CUDA_SUCCESS)
    return gp__cuda_failure((int)r);
  *pushed = true;
  return GP_SUCCESS;
}

void gp__device_leave(bool pushed) {
  if (pushed) {
    CUcontext popped;
    (void)gp__driver()->CtxPopCurrent(&popped);
  }
}

/* Log a failed CUDA call of initialization and turn it into a status. */
static gp_status init_failed(struct gp__device *d, const char *what, int err) {
  GP__LOG("device %d: %s failed (error %d): it runs every kernel plain",
          d->ordinal, what, err);
  (void)cudaGetLastError();
  return gp__cuda_failure(err);
}

void gp__flag_image_fill(uint32_t *image, int32_t value) {
  for (unsigned c = 0; c < GP_FLAG_COPIES; c++)
    __atomic_store_n(&image[c * (GP_FLAG_STRIDE / sizeof(uint32_t))],
                     (uint32_t)value, __ATOMIC_RELAXED);
}

int32_t gp__device_next_raise(struct gp__device *d) {
  int32_t last = atomic_load(&d->raise_number);
  int32_t n = last == INT32_MAX ? 1 : last + 1;
  atomic_store(&d->raise_number, n);
  return n;
}

int32_t gp__device_lowered(struct gp__device *d) {
  return -atomic_load(&d->raise_number);
}

void gp__device_announce_raise(struct gp__device *d, int32_t n) {
  if (d->relay_word != NULL)
    __atomic_store_n(d->relay_word, n, __ATOMIC_SEQ_CST);
}

int gp__device_write_flag(struct gp__device *d, int32_t value) {
  /* One small copy from pinned memory lands all copies at once; 32 stream
   * memory operations land one after another (about 0.3 us apart on an
   * H100: the last polled copy was seen ~10 us after the first). The
   * image is read when the copy runs: a write of the same kind still
   * queued then copies this value instead of its own, which is as raised
   * (or as lowered) as its own was. A lowering whose number is too new
   * only refuses the relay of the raise between (abi.h): that raise then
   * comes through the queue, as it would without a relay. */
  if (d->flag_patterns != NULL) {
    unsigned char *image =
        (unsigned char *)d->flag_patterns + (value > 0 ? GP__FLAG_BYTES : 0);
    gp__flag_image_fill((uint32_t *)image, value);
    cudaError_t err =
        cudaMemcpyAsync((void *)(uintptr_t)d->flag, image, GP__FLAG_BYTES,
                        cudaMemcpyHostToDevice, d->signal);
    if (err != cudaSuccess)
      (void)cudaGetLastError(); /* reported by the caller, not left sticky */
    return (int)err;
  }
  CUstreamBatchMemOpParams ops[GP_FLAG_COPIES];
  memset(ops, 0, sizeof ops);
  for (unsigned i = 0; i < GP_FLAG_COPIES; i++) {
    ops[i].writeValue.operation = CU_STREAM_MEM_OP_WRITE_VALUE_32;
    ops[i].writeValue.address = d->flag + (CUdeviceptr)i * GP_FLAG_STRIDE;
    ops[i].writeValue.value = (uint32_t)value;
  }
  return (int)gp__driver()->StreamBatchMemOp((CUstream)d->signal,
                                             GP_FLAG_COPIES, ops, 0);
}

uint32_t gp__device_next_raise_tag(struct gp__device *d) {
  return ++d->raise_tags;
}

int gp__device_write_raise_tag(struct gp__device *d, uint32_t tag) {
  if (d->raise_word == NULL)
    return 0;
  CUstreamBatchMemOpParams op;
  memset(&op, 0, sizeof op);
  op.writeValue.operation = CU_STREAM_MEM_OP_WRITE_VALUE_32;
  op.writeValue.address = d->raise_word_dev;
  op.writeValue.value = tag;
  return (int)gp__driver()->StreamBatchMemOp((CUstream)d->signal, 1, &op, 0);
}

bool gp__device_raise_landed(struct gp__device *d) {
  if (d->raise_word != NULL) {
    /* Tags wrap: compare cyclically. Released arms write theirs too, but
     * every one of them is older than the latest raise's. */
    uint32_t seen = __atomic_load_n(d->raise_word, __ATOMIC_ACQUIRE);
    return (int32_t)(seen - atomic_load(&d->raise_tag)) >= 0;
  }
  cudaError_t q = cudaEventQuery(atomic_load(&d->ev_raise));
  if (q != cudaSuccess && q != cudaErrorNotReady)
    (void)cudaGetLastError();
  return q == cudaSuccess;
}

/* A zeroed word of mapped pinned host memory, on a 64-byte line of its
 * own, and its device address. Best effort: false (logged: `without` says
 * what gpreempt does instead) if it cannot be made. */
static bool make_mapped_word(struct gp__device *d, const char *purpose,
                             const char *without, void **word,
                             uint64_t *word_dev) {
  void *dev = NULL;
  cudaError_t err = cudaHostAlloc(word, 64, cudaHostAllocMapped);
  if (err == cudaSuccess)
    err = cudaHostGetDevicePointer(&dev, *word, 0);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    GP__LOG("device %d: no mapped host word for %s (%s): %s", d->ordinal,
            purpose, cudaGetErrorName(err), without);
    return false; /* what was made stays: freeing could synchronize */
  }
  *(volatile uint32_t *)*word = 0;
  *word_dev = (uint64_t)(uintptr_t)dev;
  return true;
}

/* The word raises write their tag to (device.h); without it gpreempt
 * queries events instead. */
static void make_raise_word(struct gp__device *d) {
  void *word;
  uint64_t dev;
  if (make_mapped_word(d, "raises", "events tell when they land", &word,
                       &dev)) {
    d->raise_word_dev = (CUdeviceptr)dev;
    d->raise_word = (volatile uint32_t *)word;
  }
}

/* The word gp_preempt() announces raises in, for relays (abi.h); without
 * it launches have no relay. */
static void make_relay_word(struct gp__device *d) {
  void *word;
  uint64_t dev;
  if (make_mapped_word(d, "relays", "launches have none", &word, &dev)) {
    d->relay_word = (volatile int32_t *)word;
    d->relay_word_dev = dev;
  }
}

/* The two images of the flag's copies that gp__device_write_flag copies
 * from: lowered, then raised. Best effort: without them the flag is
 * written with stream memory operations. */
static void make_flag_patterns(struct gp__device *d) {
  void *p = NULL;
  if (cudaHostAlloc(&p, 2 * GP__FLAG_BYTES, cudaHostAllocDefault) !=
      cudaSuccess) {
    (void)cudaGetLastError();
    GP__LOG("device %d: no pinned memory for the flag: stream memory "
            "operations write it",
            d->ordinal);
    return;
  }
  memset(p, 0, 2 * GP__FLAG_BYTES);
  d->flag_patterns = p;
}

/* Stream memory operations are the whole signal path. CUDA 13 has no device
 * attribute for the basic ones (only the deprecated _V1), so try them: write
 * the flag's first value and wait for it. */
static gp_status probe_memops(struct gp__device *d) {
  const struct gp__driver *drv = gp__driver();
  CUresult r = (CUresult)gp__device_write_flag(d, 0);
  if (r == CUDA_SUCCESS)
    r = drv->StreamWaitValue32((CUstream)d->signal, d->flag, 0,
                               CU_STREAM_WAIT_VALUE_GEQ);
  /* The relay word's address after the copies (0: none), from pageable
   * memory: staged before the call returns. */
  if (r == CUDA_SUCCESS &&
      cudaMemcpyAsync((void *)(uintptr_t)(d->flag + GP_FLAG_RELAY_OFFSET),
                      &d->relay_word_dev, sizeof d->relay_word_dev,
                      cudaMemcpyHostToDevice, d->signal) != cudaSuccess)
    return init_failed(d, "cudaMemcpyAsync(relay word)", cudaGetLastError());
  if (r == CUDA_ERROR_NOT_SUPPORTED) {
    GP__LOG("device %d: no stream memory operations: kernels run plain",
            d->ordinal);
    return GP_ERROR_UNSUPPORTED;
  }
  if (r != CUDA_SUCCESS)
    return init_failed(d, "cuStreamBatchMemOp", (int)r);
  /* cudaMalloc leaves the flag undefined, and user kernels are not ordered
   * after the signal stream: the zero must be in memory before the first
   * preemptible launch. This waits for our own private stream only. */
  cudaError_t err = cudaStreamSynchronize(d->signal);
  if (err != cudaSuccess)
    return init_failed(d, "cudaStreamSynchronize", err);
  return GP_SUCCESS;
}

static gp_status init_device(struct gp__device *d, int ordinal) {
  d->ordinal = ordinal;
  const struct gp__driver *drv = gp__driver();
  if (drv == NULL)
    return GP_ERROR_UNSUPPORTED;

  CUdevice cudev;
  CUresult r = drv->DeviceGet(&cudev, ordinal);
  if (r != CUDA_SUCCESS)
    return init_failed(d, "cuDeviceGet", (int)r);
  /* The primary context is the one cudart uses; retaining it also creates
   * it if this thread has not touched the device yet. Never released: the
   * state below lives as long as the process. */
  r = drv->DevicePrimaryCtxRetain(&d->ctx, cudev);
  if (r != CUDA_SUCCESS)
    return init_failed(d, "cuDevicePrimaryCtxRetain", (int)r);

  bool pushed;
  gp_status st = gp__device_enter(d, &pushed);
  if (st != GP_SUCCESS)
    return st;

  cudaError_t err = cudaSuccess;
  const char *what = "cudaDeviceGetAttribute";
  static const enum cudaDeviceAttr limits[] = {
      cudaDevAttrMaxBlockDimX, cudaDevAttrMaxBlockDimY, cudaDevAttrMaxBlockDimZ,
      cudaDevAttrMaxGridDimX,  cudaDevAttrMaxGridDimY,  cudaDevAttrMaxGridDimZ,
  };
  int value = 0;
  for (int i = 0; i < 6 && err == cudaSuccess; i++) {
    err = cudaDeviceGetAttribute(&value, limits[i], ordinal);
    if (i < 3)
      d->max_block[i] = (unsigned)value;
    else
      d->max_grid[i - 3] = (unsigned)value;
  }
  if (err == cudaSuccess)
    err = cudaDeviceGetAttribute(&value, cudaDevAttrMaxThreadsPerBlock, ordinal);
  if (err == cudaSuccess) {
    d->max_threads = (unsigned)value;
    err = cudaDeviceGetAttribute(&d->sm_count, cudaDevAttrMultiProcessorCount,
                                 ordinal);
  }

  int least = 0, greatest = 0;
  if (err == cudaSuccess) {
    what = "cudaDeviceGetStreamPriorityRange";
    err = cudaDeviceGetStreamPriorityRange(&least, &greatest);
  }
  /* Non-blocking: the legacy default stream must never wait for a flag
   * write, nor a flag write for it. Greatest priority: a raise must not
   * queue behind anything. */
  if (err == cudaSuccess) {
    what = "cudaStreamCreateWithPriority";
    err = cudaStreamCreateWithPriority(&d->signal, cudaStreamNonBlocking,
                                       greatest);
  }
  if (err == cudaSuccess)
    err = cudaStreamCreateWithPriority(&d->internal, cudaStreamNonBlocking,
                                       greatest);
  if (err == cudaSuccess) {
    what = "cudaMalloc(flag)";
    void *flag = NULL;
    err = cudaMalloc(&flag, GP_FLAG_RELAY_OFFSET + GP_FLAG_STRIDE);
    d->flag = (CUdeviceptr)(uintptr_t)flag;
  }
  if (err == cudaSuccess) {
    what = "cudaEventCreateWithFlags";
    err = cudaEventCreateWithFlags(&d->ev_raise_enqueued,
                                   cudaEventDisableTiming);
    atomic_store(&d->ev_raise, d->ev_raise_enqueued);
  }
  if (err == cudaSuccess)
    err = cudaEventCreateWithFlags(&d->ev_clear, cudaEventDisableTiming);
  if (err == cudaSuccess)
    err = cudaEventCreateWithFlags(&d->ev_lc, cudaEventDisableTiming);
  if (err != cudaSuccess) {
    st = init_failed(d, what, err);
  } else {
    make_flag_patterns(d);
    make_raise_word(d);
    make_relay_word(d);
    st = probe_memops(d);
  }
  if (st == GP_SUCCESS) {
    int wait64 = 0;
    d->wait64 = drv->DeviceGetAttribute(
                    &wait64, CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS,
                    cudev) == CUDA_SUCCESS &&
                wait64 != 0;
  }
  /* Here, not at the first relaunch: gp_resume() must create nothing
   * (resume_streams.h). */
  if (st == GP_SUCCESS)
    st = gp__resume_streams_create(d, least, greatest);
  /* Before the resumer starts: its exit handler must run first, so that
   * nothing arms after the guard's handler released every arm. */
  if (st == GP_SUCCESS)
    gp__arm_init(d);
  gp__device_leave(pushed);
  if (st != GP_SUCCESS)
    return st; /* what was created stays: freeing could synchronize */
  if (!gp__resumer_start()) {
    /* Without it a launch still draining at gp_resume() would never be
     * relaunched. */
    GP__LOG("device %d: no resumer thread: it runs every kernel plain",
            ordinal);
    return GP_ERROR_OUT_OF_MEMORY;
  }

  pthread_mutex_init(&d->signal_lock, NULL);
  pthread_mutex_init(&d->lock, NULL);
  pthread_mutex_init(&d->pool.lock, NULL);
  pthread_mutex_init(&d->pool.left_words.lock, NULL);
  GP__LOG("device %d: ready (%d SMs)", ordinal, d->sm_count);
  return GP_SUCCESS;
}

gp_status gp__device_get(int ordinal, struct gp__device **out) {
  gp_status st = check_ordinal(ordinal);
  if (st != GP_SUCCESS)
    return st;
  int state = atomic_load_explicit(&device_state[ordinal], memory_order_acquire);
  if (state == GP__DEVICE_UNINIT) {
    /* One lock for all devices: initialization happens once per device and
     * may not run twice concurrently. */
    pthread_mutex_lock(&init_lock);
    state = atomic_load_explicit(&device_state[ordinal], memory_order_relaxed);
    if (state == GP__DEVICE_UNINIT) {
      /* Initialization allocates and synchronizes its own stream: legal
       * even while another thread captures in global mode. */
      enum cudaStreamCaptureMode mode;
      bool relaxed = gp__relaxed_begin(&mode);
      init_status[ordinal] = init_device(&devices[ordinal], ordinal);
      gp__relaxed_end(relaxed, mode);
      if (init_status[ordinal] == GP_ERROR_CUDA)
        init_cuda_error[ordinal] = gp_last_cuda_error();
      state = init_status[ordinal] == GP_SUCCESS ? GP__DEVICE_READY
                                                 : GP__DEVICE_FAILED;
      atomic_store_explicit(&device_state[ordinal], state, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
  }
  if (state != GP__DEVICE_READY) {
    st = init_status[ordinal];
    /* Every thread that gets this GP_ERROR_CUDA can ask for its cause. */
    if (st == GP_ERROR_CUDA)
      (void)gp__cuda_failure(init_cuda_error[ordinal]);
    return st;
  }
  *out = &devices[ordinal];
  return GP_SUCCESS;
}

gp_status gp__device_peek(int ordinal, struct gp__device **out) {
  gp_status st = check_ordinal(ordinal);
  if (st != GP_SUCCESS)
    return st;
  *out = atomic_load_explicit(&device_state[ordinal], memory_order_acquire) ==
                 GP__DEVICE_READY
             ? &devices[ordinal]
             : NULL;
  return GP_SUCCESS;
}
