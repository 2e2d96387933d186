/*
 * kmeans - Lloyd's k-means iterations, two kernels per iteration:
 *   kmeans_assign  the centroids are staged in shared memory; each thread
 *                  takes points (grid-stride), loops over all centroids for
 *                  the nearest, writes the label and adds the point to its
 *                  cluster's sum and count in shared memory (float and
 *                  integer shared atomics); after __syncthreads the block
 *                  adds its sums and counts to the global ones (global
 *                  atomicAdd);
 *   kmeans_update  centroid = sum / count.
 *
 * The data are kClusters well-separated blobs (the usual k-means test
 * data): centres at least kMinSeparation apart, points within kMaxNoise per
 * coordinate of their centre. Every point is then nearer to its own
 * cluster's centroid than to any other in every iteration (the initial
 * centroids are points of their clusters, later ones means of them), so the
 * labels are the generating ones, and the counts are exact.
 *
 * Float atomicAdd makes sums order-dependent in general; here coordinates
 * are small integers and every partial sum stays below 2^24, so the float
 * sums are exact in any order and the whole computation is deterministic
 * (runs agree bitwise, like the other zoo programs). The check compares
 * labels and counts exactly, the centroids with the double means of the
 * clusters within a relative tolerance of 1e-6 (fp32 division), and
 * re-assigns a sample of points in double against the GPU's centroids.
 *
 *     zoo_kmeans [--check] [--time] [--repeat R] ...
 */
#include "zoo_util.h"

static constexpr uint32_t kPoints = 1u << 22;
static constexpr uint32_t kClusters = 128;
static constexpr uint32_t kDims = 16;
static constexpr uint32_t kVec = kDims / 4;  /* float4 per point */
static constexpr uint32_t kIterations = 256; /* per repeat, 2 launches each */
static constexpr uint32_t kBlock = 256;
static constexpr uint32_t kGrid = 1024;
static constexpr int kCentreLo = 40, kCentreHi = 216, kMaxNoise = 8;
/* > 2 * 2 * kMaxNoise * sqrt(kDims): a point is within 32 of its centre,
 * and so is its cluster's centroid. */
static constexpr double kMinSeparation = 140;
static constexpr uint32_t kSampledPoints = 4096;
static constexpr double kCentroidTolerance = 1e-6; /* relative L2 */

static_assert(kDims % 4 == 0, "points are loaded as float4");

__global__ void kmeans_assign(uint32_t n, const float4 *__restrict__ points,
                              const float4 *__restrict__ centroids,
                              uint32_t *__restrict__ labels,
                              float *__restrict__ sums,
                              uint32_t *__restrict__ counts) {
  __shared__ float4 centre[kClusters * kVec];
  __shared__ float block_sums[kClusters * kDims];
  __shared__ uint32_t block_counts[kClusters];
  for (uint32_t i = threadIdx.x; i < kClusters * kVec; i += blockDim.x)
    centre[i] = centroids[i];
  for (uint32_t i = threadIdx.x; i < kClusters * kDims; i += blockDim.x)
    block_sums[i] = 0.0f;
  for (uint32_t i = threadIdx.x; i < kClusters; i += blockDim.x)
    block_counts[i] = 0;
  __syncthreads();

  for (uint32_t p = blockIdx.x * blockDim.x + threadIdx.x; p < n;
       p += blockDim.x * gridDim.x) {
    float4 x[kVec];
#pragma unroll
    for (uint32_t v = 0; v < kVec; ++v)
      x[v] = points[p * kVec + v];
    float best = INFINITY;
    uint32_t best_k = 0;
    for (uint32_t k = 0; k < kClusters; ++k) {
      float d = 0.0f;
#pragma unroll
      for (uint32_t v = 0; v < kVec; ++v) {
        const float4 c = centre[k * kVec + v]; /* broadcast */
        const float dx = x[v].x - c.x, dy = x[v].y - c.y, dz = x[v].z - c.z,
                    dw = x[v].w - c.w;
        d += dx * dx + dy * dy + dz * dz + dw * dw;
      }
      if (d < best) {
        best = d;
        best_k = k;
      }
    }
    labels[p] = best_k;
    float *sum = &block_sums[best_k * kDims];
#pragma unroll
    for (uint32_t v = 0; v < kVec; ++v) {
      atomicAdd(&sum[4 * v + 0], x[v].x);
      atomicAdd(&sum[4 * v + 1], x[v].y);
      atomicAdd(&sum[4 * v + 2], x[v].z);
      atomicAdd(&sum[4 * v + 3], x[v].w);
    }
    atomicAdd(&block_counts[best_k], 1u);
  }
  __syncthreads();

  for (uint32_t i = threadIdx.x; i < kClusters * kDims; i += blockDim.x)
    if (block_sums[i] != 0.0f)
      atomicAdd(&sums[i], block_sums[i]);
  for (uint32_t i = threadIdx.x; i < kClusters; i += blockDim.x)
    if (block_counts[i] != 0)
      atomicAdd(&counts[i], block_counts[i]);
}

/* One block per cluster, one thread per coordinate. An empty cluster keeps
 * its centroid. */
__global__ void kmeans_update(const float *__restrict__ sums,
                              const uint32_t *__restrict__ counts,
                              float *__restrict__ centroids) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  const uint32_t count = counts[blockIdx.x];
  if (count > 0)
    centroids[i] = sums[i] / (float)count;
}

static double distance2(const float *a, const double *b) {
  double d = 0;
  for (uint32_t j = 0; j < kDims; ++j)
    d += (a[j] - b[j]) * (a[j] - b[j]);
  return d;
}

int main(int argc, char **argv) {
  init_output();
  ZooOptions opt = zoo_parse_options(
      argc, argv, "k-means with shared-memory centroids and atomic updates");
  start_watchdog(opt.timeout_s);

  /* Centres: integer coordinates, pairwise at least kMinSeparation apart
   * (rejection sampling; about half the candidates pass). */
  Xorshift64 rng(0x0C1057E5ull);
  std::vector<double> centres(kClusters * kDims);
  for (uint32_t k = 0; k < kClusters;) {
    double *c = &centres[k * kDims];
    for (uint32_t j = 0; j < kDims; ++j)
      c[j] = (double)rng.range(kCentreLo, kCentreHi);
    bool far = true;
    for (uint32_t o = 0; o < k && far; ++o) {
      double d = 0;
      for (uint32_t j = 0; j < kDims; ++j)
        d += (c[j] - centres[o * kDims + j]) * (c[j] - centres[o * kDims + j]);
      far = d >= kMinSeparation * kMinSeparation;
    }
    k += far;
  }
  std::vector<float> points((size_t)kPoints * kDims);
  std::vector<uint32_t> truth(kPoints);
  for (uint32_t p = 0; p < kPoints; ++p) {
    truth[p] = rng.range(0, kClusters - 1);
    for (uint32_t j = 0; j < kDims; ++j)
      points[(size_t)p * kDims + j] =
          (float)(centres[truth[p] * kDims + j] +
                  (int)rng.range(0, 2 * kMaxNoise) - kMaxNoise);
  }
  /* Initial centroids: the first point of each cluster. */
  std::vector<float> centroids0(kClusters * kDims);
  std::vector<bool> seeded(kClusters, false);
  uint32_t seeds = 0;
  for (uint32_t p = 0; p < kPoints && seeds < kClusters; ++p) {
    if (seeded[truth[p]])
      continue;
    seeded[truth[p]] = true;
    ++seeds;
    std::copy(&points[(size_t)p * kDims], &points[(size_t)(p + 1) * kDims],
              &centroids0[truth[p] * kDims]);
  }
  if (seeds < kClusters) {
    fprintf(stderr, "input: a cluster has no points\n");
    return 2;
  }

  float4 *d_points = device_alloc<float4>((size_t)kPoints * kVec);
  float *d_centroids = device_alloc<float>(kClusters * kDims);
  float *d_sums = device_alloc<float>(kClusters * kDims);
  uint32_t *d_counts = device_alloc<uint32_t>(kClusters);
  uint32_t *d_labels = device_alloc<uint32_t>(kPoints);
  cudaStream_t stream = make_be_stream();
  CHECK_CUDA(cudaMemcpyAsync(d_points, points.data(),
                             points.size() * sizeof(float),
                             cudaMemcpyHostToDevice, stream));

  RepeatChecksums repeats;
  RepeatTimer timer(opt);
  std::vector<float> centroids;
  std::vector<uint32_t> counts, labels;
  uint64_t launches = 0;
  double gpu_s = 0;
  for (unsigned r = 0; r < opt.repeat; ++r) {
    upload(d_centroids, centroids0, stream);
    poison_device(d_labels, kPoints, stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double t0 = now_us();
    timer.begin(stream);
    for (uint32_t it = 0; it < kIterations; ++it) {
      CHECK_CUDA(cudaMemsetAsync(d_sums, 0, kClusters * kDims * sizeof(float),
                                 stream));
      CHECK_CUDA(
          cudaMemsetAsync(d_counts, 0, kClusters * sizeof(uint32_t), stream));
      kmeans_assign<<<kGrid, kBlock, 0, stream>>>(kPoints, d_points,
                                                  (const float4 *)d_centroids,
                                                  d_labels, d_sums, d_counts);
      CHECK_LAUNCH();
      kmeans_update<<<kClusters, kDims, 0, stream>>>(d_sums, d_counts,
                                                     d_centroids);
      CHECK_LAUNCH();
      launches += 2;
    }
    timer.end(stream);
    CHECK_CUDA(cudaStreamSynchronize(stream));
    gpu_s += (now_us() - t0) * 1e-6;
    download(centroids, d_centroids, kClusters * kDims, stream);
    download(counts, d_counts, kClusters, stream);
    download(labels, d_labels, kPoints, stream);
    repeats.add(
        checksum_of(labels, checksum_of(counts, checksum_of(centroids))));
  }

  int failures = 0;
  const char *verdict = "not checked";
  if (opt.check) {
    double t1 = now_us();
    uint64_t bad_labels = 0, bad_counts = 0, bad_sampled = 0;
    std::vector<uint32_t> want_counts(kClusters, 0);
    std::vector<double> want_sums(kClusters * kDims, 0.0);
    for (uint32_t p = 0; p < kPoints; ++p) {
      const uint32_t k = truth[p];
      ++want_counts[k];
      for (uint32_t j = 0; j < kDims; ++j)
        want_sums[k * kDims + j] += points[(size_t)p * kDims + j];
      if (labels[p] != k && bad_labels++ < 5)
        printf("mismatch label[%u]: gpu %u cpu %u\n", p, labels[p], k);
    }
    ErrorMeasure err;
    for (uint32_t k = 0; k < kClusters; ++k) {
      if (counts[k] != want_counts[k] && bad_counts++ < 5)
        printf("mismatch count[%u]: gpu %u cpu %u\n", k, counts[k],
               want_counts[k]);
      for (uint32_t j = 0; j < kDims; ++j)
        err.add(k * kDims + j, centroids[k * kDims + j],
                want_sums[k * kDims + j] / want_counts[k]);
    }
    bool ok = err.report("centroids", kCentroidTolerance);
    /* Nearest centroid in double, for a sample of points. */
    std::vector<double> gpu_centroids(centroids.begin(), centroids.end());
    for (uint32_t i = 0; i < kSampledPoints; ++i) {
      const uint32_t p = hash32(i) % kPoints;
      uint32_t best_k = 0;
      double best = INFINITY;
      for (uint32_t k = 0; k < kClusters; ++k) {
        const double d =
            distance2(&points[(size_t)p * kDims], &gpu_centroids[k * kDims]);
        if (d < best) {
          best = d;
          best_k = k;
        }
      }
      if (labels[p] != best_k && bad_sampled++ < 5)
        printf("mismatch: point %u nearest centroid %u, gpu label %u\n", p,
               best_k, labels[p]);
    }
    printf("check: %" PRIu64 " wrong labels of %u, %" PRIu64
           " wrong counts of %u, %" PRIu64 " of %u sampled points nearer "
           "another centroid, cpu %.3f s\n",
           bad_labels, kPoints, bad_counts, kClusters, bad_sampled,
           kSampledPoints, (now_us() - t1) * 1e-6);
    ok = ok && !bad_labels && !bad_counts && !bad_sampled;
    failures += !ok;
    verdict = ok ? "ok" : "WRONG";
  }

  printf("kmeans: %u points, %u clusters, %u dims, %u iterations, %" PRIu64
         " launches, gpu %.3f s, check %s\n",
         kPoints, kClusters, kDims, kIterations, launches, gpu_s, verdict);
  print_checksum(repeats.last);
  timer.print();

  failures += repeats.failures();
  failures += report_gp_stats(opt, launches);
  CHECK_CUDA(cudaFree(d_points));
  CHECK_CUDA(cudaFree(d_centroids));
  CHECK_CUDA(cudaFree(d_sums));
  CHECK_CUDA(cudaFree(d_counts));
  CHECK_CUDA(cudaFree(d_labels));
  CHECK_CUDA(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
