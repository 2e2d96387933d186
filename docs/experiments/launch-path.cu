/*
 * launch-path.cu - where a synchronized preemptible launch spends its time
 * (session 24's question: bfs, which waits for each of its ~3680 launches a
 * repeat, is still ~10 % slower preemptible than plain, ~11 us a launch).
 *
 * Built twice by docs/experiments/launch-path.sh, with and without the
 * pass, and run as:
 *
 *   launch_path sync N BLOCKS    bfs's loop: memset a counter, launch, copy
 *                                the counter back, synchronize; per
 *                                iteration the host time of the launch
 *                                call and of the whole iteration
 *   launch_path batch N BLOCKS   N launches back to back, one synchronize:
 *                                GPU time per launch (events) and host time
 *                                per launch call
 *   launch_path calls N          host time of each CUDA call the runtime's
 *                                launch path makes before cuLaunchKernel
 *                                (runtime/launch.c: query_stream and
 *                                launch_preemptible), one at a time
 *
 * Each mode prints lines "name p50 p90 p99" in microseconds, after 200
 * warm-up iterations. The kernel is bfs_expand's shape: a grid-stride loop
 * with a data-dependent trip count and an atomic, on random inputs.
 */
#include "../../samples/sample_util.h"

#include <cuda.h>
#include <string.h>

#include <string>

__global__ void expand(uint32_t n, const uint32_t *__restrict__ in,
                       uint32_t *__restrict__ out, uint32_t *count) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += blockDim.x * gridDim.x) {
    const uint32_t v = in[i];
    for (uint32_t k = 0; k < (v & 7u); ++k)
      out[(i + k * 977u) % n] = v + k;
    if (((v >> 4) & 15u) == 0) /* one in 16: bfs's atomics are sparse */
      atomicAdd(count, 1u);
  }
}

static void print_stats(const char *name, const std::vector<double> &v) {
  printf("%-28s %9.2f %9.2f %9.2f\n", name, percentile(v, 0.5),
         percentile(v, 0.9), percentile(v, 0.99));
}

static const unsigned kBlock = 256, kWarmup = 200;

int main(int argc, char **argv) {
  init_output();
  start_watchdog(120);
  if (argc < 3) {
    fprintf(stderr, "usage: %s sync|batch N BLOCKS | calls N\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const unsigned n_iter = (unsigned)parse_u64_arg(argv[2], "N");
  const unsigned blocks =
      argc > 3 ? (unsigned)parse_u64_arg(argv[3], "BLOCKS") : 1;
  const uint32_t n = blocks * kBlock;

  cudaStream_t stream;
  CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  uint32_t *in, *out, *count, *pinned;
  CHECK_CUDA(cudaMalloc(&in, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&out, n * sizeof(uint32_t)));
  CHECK_CUDA(cudaMalloc(&count, sizeof(uint32_t)));
  CHECK_CUDA(cudaMallocHost(&pinned, sizeof(uint32_t)));
  std::vector<uint32_t> host_in(n);
  for (uint32_t i = 0; i < n; ++i)
    host_in[i] = hash32(i * 0x9E3779B9u) | 1u;
  CHECK_CUDA(cudaMemcpy(in, host_in.data(), n * sizeof(uint32_t),
                        cudaMemcpyHostToDevice));
  uint32_t expected = 0;
  for (uint32_t v : host_in)
    expected += ((v >> 4) & 15u) == 0;

  std::vector<double> launch_us, iter_us;
  if (mode == "sync") {
    for (unsigned it = 0; it < kWarmup + n_iter; ++it) {
      const double t0 = now_us();
      CHECK_CUDA(cudaMemsetAsync(count, 0, sizeof(uint32_t), stream));
      const double t1 = now_us();
      expand<<<blocks, kBlock, 0, stream>>>(n, in, out, count);
      const double t2 = now_us();
      CHECK_LAUNCH();
      CHECK_CUDA(cudaMemcpyAsync(pinned, count, sizeof(uint32_t),
                                 cudaMemcpyDeviceToHost, stream));
      CHECK_CUDA(cudaStreamSynchronize(stream));
      const double t3 = now_us();
      if (*pinned != expected) {
        fprintf(stderr, "iteration %u: count %u, expected %u\n", it, *pinned,
                expected);
        return 1;
      }
      if (it >= kWarmup) {
        launch_us.push_back(t2 - t1);
        iter_us.push_back(t3 - t0);
      }
    }
    print_stats("sync.launch_call", launch_us);
    print_stats("sync.iteration", iter_us);
  } else if (mode == "batch") {
    cudaEvent_t e0, e1;
    CHECK_CUDA(cudaEventCreate(&e0));
    CHECK_CUDA(cudaEventCreate(&e1));
    std::vector<double> gpu_per_launch, host_per_launch;
    for (int round = 0; round < 6; ++round) {
      CHECK_CUDA(cudaEventRecord(e0, stream));
      const double t0 = now_us();
      for (unsigned it = 0; it < n_iter; ++it)
        expand<<<blocks, kBlock, 0, stream>>>(n, in, out, count);
      const double t1 = now_us();
      CHECK_LAUNCH();
      CHECK_CUDA(cudaEventRecord(e1, stream));
      CHECK_CUDA(cudaEventSynchronize(e1));
      float ms = 0;
      CHECK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
      if (round > 0) { /* round 0 warms up */
        gpu_per_launch.push_back(ms * 1e3 / n_iter);
        host_per_launch.push_back((t1 - t0) / n_iter);
      }
    }
    print_stats("batch.gpu_per_launch", gpu_per_launch);
    print_stats("batch.host_per_launch", host_per_launch);
  } else if (mode == "calls") {
    typedef CUresult (*wait_value_fn)(CUstream, CUdeviceptr, cuuint32_t,
                                      unsigned);
    wait_value_fn wait_value = nullptr;
    cudaDriverEntryPointQueryResult found;
    CHECK_CUDA(cudaGetDriverEntryPointByVersion("cuStreamWaitValue32",
                                                (void **)&wait_value, 12000,
                                                cudaEnableDefault, &found));
    uint32_t *word;
    CHECK_CUDA(cudaMalloc(&word, sizeof(uint32_t)));
    CHECK_CUDA(cudaMemset(word, 0, sizeof(uint32_t)));
    const char *names[] = {
        "cudaStreamGetPriority",      "cudaStreamIsCapturing",
        "cudaThreadExchangeCapture2", "cudaStreamGetId",
        "cudaStreamGetFlags",         "cudaGetDevice",
        "cuStreamWaitValue32",        "launch_this_build"};
    const int kinds = sizeof names / sizeof names[0];
    std::vector<std::vector<double>> t(kinds);
    for (unsigned it = 0; it < kWarmup + n_iter; ++it) {
      for (int k = 0; k < kinds; ++k) {
        const double t0 = now_us();
        int prio;
        unsigned flags;
        unsigned long long id;
        int dev;
        cudaStreamCaptureStatus cs;
        cudaStreamCaptureMode m = cudaStreamCaptureModeRelaxed;
        switch (k) {
        case 0:
          CHECK_CUDA(cudaStreamGetPriority(stream, &prio));
          break;
        case 1:
          CHECK_CUDA(cudaStreamIsCapturing(stream, &cs));
          break;
        case 2:
          CHECK_CUDA(cudaThreadExchangeStreamCaptureMode(&m));
          CHECK_CUDA(cudaThreadExchangeStreamCaptureMode(&m));
          break;
        case 3:
          CHECK_CUDA(cudaStreamGetId(stream, &id));
          break;
        case 4:
          CHECK_CUDA(cudaStreamGetFlags(stream, &flags));
          break;
        case 5:
          CHECK_CUDA(cudaGetDevice(&dev));
          break;
        case 6:
          if (wait_value((CUstream)stream, (CUdeviceptr)word, 0,
                         CU_STREAM_WAIT_VALUE_EQ) != CUDA_SUCCESS) {
            fprintf(stderr, "cuStreamWaitValue32 failed\n");
            return 1;
          }
          break;
        case 7:
          expand<<<1, kBlock, 0, stream>>>(0, in, out, count);
          break;
        }
        const double t1 = now_us();
        if (it >= kWarmup)
          t[k].push_back(t1 - t0);
      }
      if (it % 64 == 0)
        CHECK_CUDA(cudaStreamSynchronize(stream));
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
    for (int k = 0; k < kinds; ++k)
      print_stats(names[k], t[k]);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  return report_gp_stats(CommonOptions(), 0) == 0 ? 0 : 1;
}
