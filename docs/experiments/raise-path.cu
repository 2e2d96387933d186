/*
 * raise-path.cu - can a kernel see the host's preemption request sooner
 * than the armed raise brings it? (session 24's question; plain CUDA, no
 * gpreempt: built with gpreempt-cc --gp-no-preempt).
 *
 * The drain target (p99 <= 15 us) is missed by the raise itself: the armed
 * raise (a stream wait on a host word, then a 4 KiB copy into the flag
 * copies in device memory) is seen by the GPU 13-15 us after the host's
 * store at the median and 24-77 us at p99 in the harness (docs/results.md,
 * session 23). ../shared/DESIGN-NOTES.md measured a kernel whose every
 * thread polls mapped host memory at every back-edge at 8 ms: a flood of
 * PCIe reads. This program measures the paths between, on a GPU full of
 * spinning blocks (SMs x 8 blocks x 256 threads), each thread checking
 * after every `--work` LCG steps (64: about the runtime's poll budget):
 *
 *   dev-copy    the flag copies in device memory (32 words 128 bytes apart,
 *               as the runtime's), raised by a cudaMemcpyAsync enqueued at
 *               the raise on a high-priority stream
 *   dev-armed   the same flag, raised as the runtime arms it: a stream wait
 *               on a mapped host word and the copy, enqueued in advance;
 *               the raise is one host store
 *   host-lane0  lane 0 of each warp loads a mapped host word, the warp
 *               takes its value by shuffle (32x fewer PCIe reads than every
 *               thread)
 *   host-block  thread 0 of each block loads the mapped host word at every
 *               `--host-every`th check (8) and leaves it in shared memory;
 *               the block's threads read that (no barrier: a late look
 *               costs one interval)
 *
 * Per raise: host time from the raise (the store or the enqueue) until the
 * host sees every block's exit word (each block's thread 0 writes it to
 * mapped memory after a system fence), p50 / p90 / p99 / max. Per path
 * also the spin kernel's time for a fixed amount of work with nothing
 * raised, against the same kernel without checks: what the check costs.
 *
 *   raise_path [--raises N] [--work STEPS] [--host-every K]
 * Prints a table; exit 1 on a failed check (a block that never left, or a
 * wrong final value), 2 on a CUDA error.
 */
#include "../../samples/sample_util.h"

#include <cuda.h>
#include <string.h>

#include <string>

enum Path { kNone, kDevCopy, kDevArmed, kHostLane0, kHostBlock, kPaths };
static const char *kPathNames[kPaths] = {"no-check", "dev-copy", "dev-armed",
                                         "host-lane0", "host-block"};
static constexpr unsigned kThreads = 256, kBlocksPerSm = 8;
static constexpr unsigned kFlagCopies = 32, kFlagStride = 32; /* words */

__global__ void spin(int path, uint32_t work, uint32_t host_every,
                     uint64_t max_checks, const volatile uint32_t *dev_flag,
                     const volatile uint32_t *host_flag,
                     volatile uint32_t *exit_words, uint32_t trial,
                     uint32_t *__restrict__ sink) {
  __shared__ volatile uint32_t block_flag;
  if (threadIdx.x == 0)
    block_flag = 0;
  __syncthreads();
  uint32_t x = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lane = threadIdx.x & 31;
  for (uint64_t check = 0; check < max_checks; ++check) {
    for (uint32_t k = 0; k < work; ++k)
      x = x * 1664525u + 1013904223u;
    uint32_t raised = 0;
    switch (path) {
    case kDevCopy:
    case kDevArmed:
      raised = dev_flag[(blockIdx.x % kFlagCopies) * kFlagStride];
      break;
    case kHostLane0: {
      uint32_t v = 0;
      if (lane == 0)
        v = *host_flag;
      raised = __shfl_sync(0xffffffffu, v, 0);
      break;
    }
    case kHostBlock:
      if (threadIdx.x == 0 && check % host_every == 0)
        block_flag = *host_flag;
      raised = block_flag;
      break;
    default:
      break;
    }
    if (raised)
      break;
  }
  sink[blockIdx.x * blockDim.x + threadIdx.x] = x;
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence_system();
    exit_words[blockIdx.x] = trial;
  }
}

typedef CUresult (*wait_value_fn)(CUstream, CUdeviceptr, cuuint32_t, unsigned);

int main(int argc, char **argv) {
  init_output();
  unsigned raises = 200, work = 64, host_every = 8;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--raises") && i + 1 < argc)
      raises = (unsigned)parse_u64_arg(argv[++i], "--raises");
    else if (!strcmp(argv[i], "--work") && i + 1 < argc)
      work = (unsigned)parse_u64_arg(argv[++i], "--work");
    else if (!strcmp(argv[i], "--host-every") && i + 1 < argc)
      host_every = (unsigned)parse_u64_arg(argv[++i], "--host-every");
    else {
      fprintf(stderr,
              "usage: %s [--raises N] [--work STEPS] [--host-every K]\n",
              argv[0]);
      return 2;
    }
  }
  if (host_every == 0) {
    fprintf(stderr, "--host-every must be at least 1\n");
    return 2;
  }
  start_watchdog(240);
  int sms = 0;
  CHECK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const unsigned blocks = (unsigned)sms * kBlocksPerSm;

  wait_value_fn wait_value = nullptr;
  cudaDriverEntryPointQueryResult found;
  CHECK_CUDA(cudaGetDriverEntryPointByVersion("cuStreamWaitValue32",
                                              (void **)&wait_value, 12000,
                                              cudaEnableDefault, &found));
  int lo = 0, hi = 0;
  CHECK_CUDA(cudaDeviceGetStreamPriorityRange(&lo, &hi));
  cudaStream_t work_stream, signal;
  CHECK_CUDA(cudaStreamCreateWithFlags(&work_stream, cudaStreamNonBlocking));
  CHECK_CUDA(cudaStreamCreateWithPriority(&signal, cudaStreamNonBlocking, hi));

  uint32_t *dev_flag, *sink, *ones;
  volatile uint32_t *host_flag, *arm_word, *exit_words;
  const size_t flag_bytes = kFlagCopies * kFlagStride * sizeof(uint32_t);
  CHECK_CUDA(cudaMalloc(&dev_flag, flag_bytes));
  CHECK_CUDA(cudaMalloc(&sink, (size_t)blocks * kThreads * sizeof(uint32_t)));
  CHECK_CUDA(cudaHostAlloc(&ones, flag_bytes, cudaHostAllocDefault));
  for (unsigned i = 0; i < flag_bytes / 4; ++i)
    ones[i] = 1;
  CHECK_CUDA(cudaHostAlloc((void **)&host_flag, 64, cudaHostAllocMapped));
  CHECK_CUDA(cudaHostAlloc((void **)&arm_word, 64, cudaHostAllocMapped));
  CHECK_CUDA(cudaHostAlloc((void **)&exit_words, blocks * sizeof(uint32_t),
                           cudaHostAllocMapped));
  memset((void *)exit_words, 0, blocks * sizeof(uint32_t));
  *host_flag = 0;
  *arm_word = 0;

  /* What each check costs: a fixed amount of work, nothing raised. */
  const uint64_t fixed_checks = 20000;
  double kernel_ms[kPaths] = {};
  cudaEvent_t e0, e1;
  CHECK_CUDA(cudaEventCreate(&e0));
  CHECK_CUDA(cudaEventCreate(&e1));
  CHECK_CUDA(cudaMemset(dev_flag, 0, flag_bytes));
  for (int round = 0; round < 3; ++round)
    for (int p = 0; p < kPaths; ++p) {
      CHECK_CUDA(cudaEventRecord(e0, work_stream));
      spin<<<blocks, kThreads, 0, work_stream>>>(
          p, work, host_every, fixed_checks, dev_flag, host_flag, exit_words, 0,
          sink);
      CHECK_LAUNCH();
      CHECK_CUDA(cudaEventRecord(e1, work_stream));
      CHECK_CUDA(cudaEventSynchronize(e1));
      float ms = 0;
      CHECK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
      if (round > 0) /* round 0 warms up */
        kernel_ms[p] += ms / 2;
    }

  printf("%-11s %10s %8s %8s %8s %8s %8s\n", "path", "kernel_ms", "cost_%",
         "p50_us", "p90_us", "p99_us", "max_us");
  uint32_t trial = 0;
  unsigned failures = 0;
  for (int p = kDevCopy; p < kPaths; ++p) {
    std::vector<double> took;
    uint32_t seq = 0;
    for (unsigned r = 0; r < raises; ++r) {
      ++trial;
      CHECK_CUDA(cudaMemsetAsync(dev_flag, 0, flag_bytes, work_stream));
      *host_flag = 0;
      if (p == kDevArmed) {
        ++seq;
        if (wait_value((CUstream)signal, (CUdeviceptr)(uintptr_t)arm_word, seq,
                       CU_STREAM_WAIT_VALUE_GEQ) != CUDA_SUCCESS) {
          fprintf(stderr, "cuStreamWaitValue32 failed\n");
          return 2;
        }
        CHECK_CUDA(cudaMemcpyAsync(dev_flag, ones, flag_bytes,
                                   cudaMemcpyHostToDevice, signal));
      }
      /* Long enough to outlast any wait below: it ends only when raised. */
      spin<<<blocks, kThreads, 0, work_stream>>>(p, work, host_every, ~0ull,
                                                 dev_flag, host_flag,
                                                 exit_words, trial, sink);
      CHECK_LAUNCH();
      /* Every block resident and spinning: the GPU as the BE work keeps it. */
      sleep_us(300 + (hash32(trial) % 700));
      const double t0 = now_us();
      if (p == kDevCopy)
        CHECK_CUDA(cudaMemcpyAsync(dev_flag, ones, flag_bytes,
                                   cudaMemcpyHostToDevice, signal));
      else if (p == kDevArmed)
        *arm_word = seq;
      else
        *host_flag = 1;
      unsigned next = 0;
      double t1 = t0;
      while (next < blocks) {
        while (next < blocks && exit_words[next] == trial)
          ++next;
        t1 = now_us();
        if (t1 - t0 > 2e6) {
          printf("FAIL %s raise %u: %u of %u blocks left after 2 s\n",
                 kPathNames[p], r, next, blocks);
          ++failures;
          break;
        }
      }
      took.push_back(t1 - t0);
      CHECK_CUDA(cudaStreamSynchronize(work_stream));
      CHECK_CUDA(cudaStreamSynchronize(signal));
    }
    printf("%-11s %10.3f %8.2f %8.1f %8.1f %8.1f %8.1f\n", kPathNames[p],
           kernel_ms[p], 100.0 * (kernel_ms[p] / kernel_ms[kNone] - 1),
           percentile(took, 0.5), percentile(took, 0.9), percentile(took, 0.99),
           percentile(took, 1.0));
  }
  printf("%-11s %10.3f\n", kPathNames[kNone], kernel_ms[kNone]);

  /* The kernel computes what it should: 10 checks with nothing raised,
   * after which each thread's value depends on its index alone. */
  spin<<<blocks, kThreads, 0, work_stream>>>(
      kNone, work, host_every, 10, dev_flag, host_flag, exit_words, 0, sink);
  CHECK_LAUNCH();
  CHECK_CUDA(cudaStreamSynchronize(work_stream));
  std::vector<uint32_t> got((size_t)blocks * kThreads);
  CHECK_CUDA(cudaMemcpy(got.data(), sink, got.size() * sizeof(uint32_t),
                        cudaMemcpyDeviceToHost));
  for (size_t t = 0; t < got.size(); t += 997) {
    uint32_t x = (uint32_t)t;
    for (uint64_t k = 0; k < 10ull * work; ++k)
      x = x * 1664525u + 1013904223u;
    if (got[t] != x) {
      printf("FAIL thread %zu: %u, expected %u\n", t, got[t], x);
      ++failures;
      break;
    }
  }
  printf("%s\n", failures ? "raise-path: FAILED" : "raise-path: ok");
  return failures ? 1 : 0;
}
