/*
 * bfs - level-synchronous breadth-first search on a random directed graph
 * (CSR, out-degrees 0..32), from kSources sources, one launch per level:
 * each thread takes frontier vertices (grid-stride) and walks their edges
 * (a data-dependent loop); an unvisited neighbour is claimed with atomicCAS
 * on its level and appended to the next frontier with an atomicAdd on its
 * size. The host reads the next frontier's size after each level, so the
 * stream is synchronized between launches.
 *
 * The order in which the frontier is built varies from run to run, but the
 * levels (shortest distances) do not: the output is deterministic. The
 * check runs a plain queue BFS on the CPU for every kCheckStride-th source
 * (one CPU BFS costs as much as ~100 on the GPU) and compares every level
 * exactly (-1: unreachable); the checksum covers all sources. A claim made
 * twice after a resume would append a vertex twice; one lost would leave it
 * unvisited.
 *
 *     zoo_bfs [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kVertices = 1u << 18;
static constexpr uint32_t kMaxDegree = 32;
static constexpr uint32_t kSources = 512;
static constexpr uint32_t kCheckStride = 16; /* CPU BFS for 1 source in 16 */
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kMaxGrid = 1024;

__global__ void bfs_expand(uint32_t frontier_size, int next_level,
                           const uint32_t *__restrict__ frontier,
                           const uint32_t *__restrict__ row_start,
                           const uint32_t *__restrict__ adjacency,
                           int *level, /* also claimed by atomics */
                           uint32_t *__restrict__ next_frontier,
                           uint32_t *__restrict__ next_size) {
  for (uint32_t f = blockIdx.x * blockDim.x + threadIdx.x; f < frontier_size;
       f += blockDim.x * gridDim.x) {
    const uint32_t v = frontier[f];
    const uint32_t end = row_start[v + 1];
    for (uint32_t e = row_start[v]; e < end; ++e) {
      const uint32_t w = adjacency[e];
      /* The plain read skips most visited vertices; the CAS decides. */
      if (level[w] < 0 && atomicCAS(&level[w], -1, next_level) == -1)
        next_frontier[atomicAdd(next_size, 1u)] = w;
    }
  }
}

/* Levels from `source` (255: unreachable). */
static void cpu_bfs(const std::vector<uint32_t> &row_start,
                    const std::vector<uint32_t> &adjacency, uint32_t source,
                    std::vector<uint8_t> &level, std::vector<uint32_t> &queue) {
  level.assign(kVertices, 255);
  queue.resize(kVertices);
  size_t head = 0, tail = 0;
  level[source] = 0;
  queue[tail++] = source;
  while (head < tail) {
    const uint32_t v = queue[head++];
    const uint8_t next = level[v] + 1;
    for (uint32_t e = row_start[v]; e < row_start[v + 1]; ++e) {
      const uint32_t w = adjacency[e];
      if (level[w] == 255) {
        level[w] = next;
        queue[tail++] = w;
      }
    }
  }
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "level-synchronous BFS with atomic frontier queues");
  start_watchdog(opt.timeout_s);

  Xorshift64 rng(0xBF5B0A7Dull);
  std::vector<uint32_t> row_start(kVertices + 1);
  row_start[0] = 0;
  for (uint32_t v = 0; v < kVertices; ++v)
    row_start[v + 1] = row_start[v] + rng.range(0, kMaxDegree);
  const uint32_t edges = row_start[kVertices];
  std::vector<uint32_t> adjacency(edges);
  for (uint32_t &w : adjacency)
    w = rng.range(0, kVertices - 1);
  /* Sources spread over the graph, each with at least one out-edge. */
  std::vector<uint32_t> sources(kSources);
  for (uint32_t s = 0; s < kSources; ++s) {
    uint32_t v = hash32(s * 7919u + 1) % kVertices;
    while (row_start[v + 1] == row_start[v])
      v = (v + 1) % kVertices;
    sources[s] = v;
  }

  uint32_t *d_row_start = device_alloc<uint32_t>(kVertices + 1);
  uint32_t *d_adjacency = device_alloc<uint32_t>(edges);
  uint32_t *d_frontier = device_alloc<uint32_t>(kVertices);
  uint32_t *d_next_frontier = device_alloc<uint32_t>(kVertices);
  uint32_t *d_next_size = device_alloc<uint32_t>(1);
  int *d_levels = device_alloc<int>((size_t)kSources * kVertices);
  cudaStream_t stream = make_be_stream();
  /* The frontier size comes back through pinned memory: a copy to pageable
   * memory behind a preempted kernel holds a driver lock that gp_resume may
   * need (a known gpreempt limitation, docs/results.md). */
  uint32_t *pinned_size = nullptr;
  CHECK_CUDA(cudaMallocHost(&pinned_size, sizeof(uint32_t)));
  upload(d_row_start, row_start, stream);
  upload(d_adjacency, adjacency, stream);

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<int> levels;
  uint64_t launches = 0, max_depth = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    /* All ones: -1, unvisited (and what a BFS that never ran leaves). */
    poison_device(d_levels, (size_t)kSources * kVertices, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t s = 0; s < kSources; ++s) {
      int *level = d_levels + (size_t)s * kVertices;
      CHECK_CUDA(cudaMemsetAsync(level + sources[s], 0, sizeof(int), stream));
      CHECK_CUDA(cudaMemcpyAsync(d_frontier, &sources[s], sizeof(uint32_t),
                                 cudaMemcpyHostToDevice, stream));
      uint32_t size = 1;
      int depth = 0;
      while (size > 0) {
        CHECK_CUDA(cudaMemsetAsync(d_next_size, 0, sizeof(uint32_t), stream));
        const uint32_t grid =
            std::min<uint32_t>((size + kBlock - 1) / kBlock, kMaxGrid);
        bfs_expand<<<grid, kBlock, 0, stream>>>(size, depth + 1, d_frontier,
                                                d_row_start, d_adjacency, level,
                                                d_next_frontier, d_next_size);
        CHECK_LAUNCH();
        ++launches;
        CHECK_CUDA(cudaMemcpyAsync(pinned_size, d_next_size, sizeof(uint32_t),
                                   cudaMemcpyDeviceToHost, stream));
        CHECK_CUDA(cudaStreamSynchronize(stream));
        size = *pinned_size;
        if (size > kVertices) {
          fprintf(stderr, "source %u level %d: frontier of %u > %u vertices\n",
                  s, depth + 1, size, kVertices);
          die_now(1);
        }
        std::swap(d_frontier, d_next_frontier);
        ++depth;
      }
      max_depth = std::max<uint64_t>(max_depth, depth);
    }
    timer.end(stream);
    gpu_s += (now_us() - t0) * 1e-6;
    download(levels, d_levels, (size_t)kSources * kVertices, stream);
    repeats.add(checksum_of(levels));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    const uint32_t checked = kSources / kCheckStride;
    std::vector<uint64_t> bad(kSources, 0);
    parallel_items(checked, [&](size_t begin, size_t end) {
      std::vector<uint8_t> want;
      std::vector<uint32_t> queue;
      for (size_t s = begin * kCheckStride; s < end * kCheckStride;
           s += kCheckStride) {
        cpu_bfs(row_start, adjacency, sources[s], want, queue);
        const int *got = &levels[s * kVertices];
        for (uint32_t v = 0; v < kVertices; ++v)
          bad[s] += got[v] != (want[v] == 255 ? -1 : (int)want[v]);
      }
    });
    uint64_t total_bad = 0;
    for (uint32_t s = 0; s < kSources; ++s) {
      if (bad[s] && total_bad < 5)
        printf("mismatch: source %u (vertex %u): %" PRIu64 " wrong levels\n", s,
               sources[s], bad[s]);
      total_bad += bad[s];
    }
    printf("check: %" PRIu64 " wrong levels of %" PRIu64 " (%u of %u sources), "
           "cpu %.3f s\n",
           total_bad, (uint64_t)checked * kVertices, checked, kSources,
           (now_us() - t1) * 1e-6);
    failures += total_bad != 0;
    verdict = total_bad ? "WRONG" : "ok";
  }

  uint64_t reached = 0;
  for (int l : levels)
    reached += l >= 0;
  printf("bfs: %u vertices, %u edges, %u sources, %" PRIu64 " launches (depth "
         "<= %" PRIu64 "), reached %.1f%%, gpu %.3f s, check %s\n",
         kVertices, edges, kSources, launches, max_depth,
         100.0 * (double)reached / ((double)kSources * kVertices), gpu_s,
         verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_row_start));
  CHECK_CUDA(cudaFree(d_adjacency));
  CHECK_CUDA(cudaFree(d_frontier));
  CHECK_CUDA(cudaFree(d_next_frontier));
  CHECK_CUDA(cudaFree(d_next_size));
  CHECK_CUDA(cudaFree(d_levels));
  CHECK_CUDA(cudaFreeHost(pinned_size));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
