/*
 * bench_util.h - what the benchmark programs share: the best-effort (BE)
 * kernels that keep the GPU full, the latency-critical (LC) kernel, inputs
 * made on the GPU from a hash (random, never zero, and recomputable on the
 * CPU for the checks), and a small JSON writer for the one result line each
 * program prints.
 *
 * Every program prints exactly one line "bench-json {...}" on stdout with
 * everything it measured; bench/measure.py parses that line and nothing
 * else, so the rest of the output is free for people.
 */
#ifndef GPREEMPT_BENCH_UTIL_H
#define GPREEMPT_BENCH_UTIL_H

#include "../samples/sample_util.h"

#include <math.h>

#include <atomic>
#include <string>

/* ------------------------------------------------------------------------ */
/* Inputs. Element i of buffer `seed` is a function of (seed, i) alone, so the
 * GPU fills buffers without a host upload and the CPU recomputes any element
 * it checks. */

static inline __host__ __device__ uint32_t input_u32(uint32_t seed,
                                                     uint32_t i) {
  return hash32(i * 0x9E3779B9u ^ hash32(seed)) | 1u; /* odd: never zero */
}

/* A small integer in +-{1, 2, 3, 4}, as a float: never zero, random signs,
 * and products and sums of thousands of them stay exact in fp32, so a GEMM
 * on them has one right answer however its sums are ordered. */
static inline __host__ __device__ float input_small(uint32_t seed,
                                                    uint32_t i) {
  const uint32_t h = hash32(i * 0x9E3779B9u ^ hash32(seed));
  const float mag = (float)(1u + (h >> 8) % 4u);
  return (h & 1u) ? -mag : mag;
}

GP_NO_PREEMPT __global__ void fill_u32(uint32_t n, uint32_t seed,
                                       uint32_t *__restrict__ out) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    out[i] = input_u32(seed, i);
}

GP_NO_PREEMPT __global__ void fill_small(uint32_t n, uint32_t seed,
                                         float *__restrict__ out) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    out[i] = input_small(seed, i);
}

/* ------------------------------------------------------------------------ */
/* BE kernel 1, compute bound: the textbook shared-memory SGEMM of the zoo
 * (test/zoo/sgemm_tiled.cu), C += alpha*A*B, 32x32 tiles, 32x8 threads, two
 * barriers per K slice. Launches alternate alpha = +1 and -1, so C stays
 * bounded however many run: C = C0 + (plus - minus) * A*B, exactly (the
 * inputs are small integers). A tile computed twice or not at all after a
 * resume shows in the check. */

static constexpr int kGemmTile = 32;
static constexpr int kGemmBlockRows = 8;

__global__ void be_sgemm(int n, int k, float alpha,
                         const float *__restrict__ a,
                         const float *__restrict__ b, float *__restrict__ c) {
  __shared__ float a_tile[kGemmTile][kGemmTile];
  __shared__ float b_tile[kGemmTile][kGemmTile];
  constexpr int rows_per_thread = kGemmTile / kGemmBlockRows;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row0 = blockIdx.y * kGemmTile, col = blockIdx.x * kGemmTile + tx;
  float acc[rows_per_thread] = {};
  for (int k0 = 0; k0 < k; k0 += kGemmTile) {
#pragma unroll
    for (int r = 0; r < rows_per_thread; ++r) {
      const int row = ty + r * kGemmBlockRows;
      a_tile[row][tx] = a[(size_t)(row0 + row) * k + k0 + tx];
      b_tile[row][tx] = b[(size_t)(k0 + row) * n + col];
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kGemmTile; ++kk) {
      const float bv = b_tile[kk][tx];
#pragma unroll
      for (int r = 0; r < rows_per_thread; ++r)
        acc[r] += a_tile[ty + r * kGemmBlockRows][kk] * bv;
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < rows_per_thread; ++r) {
    float *out = &c[(size_t)(row0 + ty + r * kGemmBlockRows) * n + col];
    *out = alpha * acc[r] + *out;
  }
}

/* BE kernel 2, memory bound: y = y*a + x (mod 2^32) over a large array, a
 * grid-stride loop with one grid of resident size, so every block runs for
 * the whole launch (the worst case for waiting on blocks to end). After L
 * launches y = a^L y0 + (1 + a + ... + a^(L-1)) x, which the CPU checks per
 * element in O(1). */
__global__ void be_stream(uint32_t n, uint32_t a, const uint32_t *__restrict__ x,
                          uint32_t *__restrict__ y) {
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    y[i] = y[i] * a + x[i];
}

/* ------------------------------------------------------------------------ */
/* LC kernel: one dependent chain of `iters` LCG steps per element, so its
 * duration is set by `iters`; the CPU checks an element with lcg_jump.
 * GP_NO_PREEMPT: latency-critical code runs exactly as compiled. */
static inline __device__ uint32_t lcg_steps(uint32_t x, uint32_t iters,
                                            uint32_t a, uint32_t c) {
  for (uint32_t s = 0; s < iters; ++s)
    x = x * a + c;
  return x;
}

GP_NO_PREEMPT __global__ void lc_chain(uint32_t n, uint32_t iters, uint32_t a,
                                       uint32_t c,
                                       const uint32_t *__restrict__ in,
                                       uint32_t *__restrict__ out) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  out[i] = lcg_steps(in[i], iters, a, c);
}

/* ------------------------------------------------------------------------ */
/* Blocks of `kernel` (block of `threads`, `shmem` dynamic bytes) resident on
 * one SM at once: what "the GPU full of BE blocks" means for it. */
template <class Kernel>
static inline int blocks_per_sm(Kernel kernel, int threads, size_t shmem = 0) {
  int blocks = 0;
  CHECK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel,
                                                           threads, shmem));
  return blocks > 0 ? blocks : 1;
}

/* Launches that gpreempt counted as preemptible so far. */
static inline uint64_t preemptible_launches() {
  gp_stats st;
  CHECK_GP(gp_get_stats(&st));
  return st.launches_preemptible;
}

/* Percentiles and the like of latency samples. */
struct Summary {
  size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, min = 0, mean = 0;
};

static inline Summary summarize(const std::vector<double> &v) {
  Summary s;
  s.n = v.size();
  if (v.empty())
    return s;
  s.p50 = percentile(v, 0.50);
  s.p90 = percentile(v, 0.90);
  s.p99 = percentile(v, 0.99);
  s.max = *std::max_element(v.begin(), v.end());
  s.min = *std::min_element(v.begin(), v.end());
  double sum = 0;
  for (double x : v)
    sum += x;
  s.mean = sum / (double)v.size();
  return s;
}

/* f(begin, end) on disjoint ranges of [0, n), one thread per core even for
 * a few expensive items (parallel_for in sample_util.h keeps small n on one
 * thread). */
template <class F> static void parallel_split(size_t n, F f) {
  size_t workers = std::max(1u, std::thread::hardware_concurrency());
  workers = std::min<size_t>(std::min<size_t>(workers, 64), n);
  if (workers <= 1) {
    f((size_t)0, n);
    return;
  }
  std::vector<std::thread> pool;
  const size_t chunk = (n + workers - 1) / workers;
  for (size_t begin = 0; begin < n; begin += chunk)
    pool.emplace_back(f, begin, std::min(n, begin + chunk));
  for (std::thread &t : pool)
    t.join();
}

/* ------------------------------------------------------------------------ */
/* The BE work of the benchmarks: one be_sgemm of 2048x2048x4096 (~34 GFLOP,
 * a few ms, 4096 blocks of a good part of a millisecond each) and one
 * be_stream over 2^27 elements (1.5 GiB of traffic, ~0.5 ms, one wave of
 * resident blocks) per launch. Inputs are made on the GPU; check() compares
 * with the CPU, exactly, once every launch has finished. */

static constexpr int kGemmN = 2048, kGemmK = 4096;
static constexpr uint32_t kStreamLen = 1u << 27; /* 512 MiB per array */
static constexpr uint32_t kStreamA = LCG_A0;
static constexpr uint32_t kStreamBlock = 256;
static constexpr uint32_t kSeedA = 11, kSeedB = 12, kSeedC = 13, kSeedX = 14,
                          kSeedY = 15;

struct BeWork {
  float *a = nullptr, *b = nullptr, *c = nullptr;
  uint32_t *x = nullptr, *y = nullptr;
  uint32_t stream_grid = 0;
  uint64_t gemm_plus = 0, gemm_minus = 0, stream_launches = 0;
  int gemm_blocks_per_sm = 0, stream_blocks_per_sm = 0;

  void init(cudaStream_t s, int sms) {
    CHECK_CUDA(cudaMalloc(&a, sizeof(float) * kGemmN * kGemmK));
    CHECK_CUDA(cudaMalloc(&b, sizeof(float) * kGemmK * kGemmN));
    CHECK_CUDA(cudaMalloc(&c, sizeof(float) * kGemmN * kGemmN));
    CHECK_CUDA(cudaMalloc(&x, sizeof(uint32_t) * kStreamLen));
    CHECK_CUDA(cudaMalloc(&y, sizeof(uint32_t) * kStreamLen));
    const unsigned fill_grid = (unsigned)sms * 8;
    fill_small<<<fill_grid, 256, 0, s>>>(kGemmN * kGemmK, kSeedA, a);
    fill_small<<<fill_grid, 256, 0, s>>>(kGemmK * kGemmN, kSeedB, b);
    fill_small<<<fill_grid, 256, 0, s>>>(kGemmN * kGemmN, kSeedC, c);
    fill_u32<<<fill_grid, 256, 0, s>>>(kStreamLen, kSeedX, x);
    fill_u32<<<fill_grid, 256, 0, s>>>(kStreamLen, kSeedY, y);
    CHECK_LAUNCH();
    CHECK_CUDA(cudaStreamSynchronize(s));
    gemm_blocks_per_sm = blocks_per_sm(be_sgemm, kGemmTile * kGemmBlockRows);
    stream_blocks_per_sm = blocks_per_sm(be_stream, kStreamBlock);
    stream_grid = (uint32_t)(sms * stream_blocks_per_sm);
  }
  void launch_gemm(cudaStream_t s) {
    const bool plus = (gemm_plus + gemm_minus) % 2 == 0;
    const dim3 block(kGemmTile, kGemmBlockRows),
        grid(kGemmN / kGemmTile, kGemmN / kGemmTile);
    be_sgemm<<<grid, block, 0, s>>>(kGemmN, kGemmK, plus ? 1.0f : -1.0f, a, b,
                                   c);
    CHECK_LAUNCH();
    ++(plus ? gemm_plus : gemm_minus);
  }
  void launch_stream(cudaStream_t s) {
    be_stream<<<stream_grid, kStreamBlock, 0, s>>>(kStreamLen, kStreamA, x, y);
    CHECK_LAUNCH();
    ++stream_launches;
  }
  uint64_t launches() const {
    return gemm_plus + gemm_minus + stream_launches;
  }

  /* Compares the results with the CPU, once every launch has finished:
   * every 32nd row of C and every element of y, exactly. Returns "ok" or
   * what is wrong. */
  std::string check() const {
    std::string verdict;
    char buf[128];
    const int stride = 32, rows = kGemmN / stride;
    std::vector<float> c_rows((size_t)rows * kGemmN);
    std::vector<int32_t> b_host((size_t)kGemmK * kGemmN);
    for (int r = 0; r < rows; ++r)
      CHECK_CUDA(cudaMemcpy(&c_rows[(size_t)r * kGemmN],
                            c + (size_t)r * stride * kGemmN,
                            sizeof(float) * kGemmN, cudaMemcpyDeviceToHost));
    parallel_for(b_host.size(), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i)
        b_host[i] = (int32_t)input_small(kSeedB, (uint32_t)i);
    });
    const int64_t net = (int64_t)gemm_plus - (int64_t)gemm_minus;
    std::vector<uint64_t> wrong_in_row(rows);
    parallel_split(rows, [&](size_t begin, size_t end) {
      std::vector<int64_t> acc(kGemmN);
      for (size_t r = begin; r < end; ++r) {
        const uint32_t row = (uint32_t)r * stride;
        std::fill(acc.begin(), acc.end(), 0);
        for (uint32_t kk = 0; kk < (uint32_t)kGemmK; ++kk) {
          const int64_t av = (int64_t)input_small(kSeedA, row * kGemmK + kk);
          const int32_t *brow = &b_host[(size_t)kk * kGemmN];
          for (uint32_t j = 0; j < (uint32_t)kGemmN; ++j)
            acc[j] += av * brow[j];
        }
        for (uint32_t j = 0; j < (uint32_t)kGemmN; ++j) {
          const int64_t want =
              (int64_t)input_small(kSeedC, row * kGemmN + j) + net * acc[j];
          wrong_in_row[r] += c_rows[r * kGemmN + j] != (float)want;
        }
      }
    });
    uint64_t wrong_c = 0;
    for (uint64_t w : wrong_in_row)
      wrong_c += w;
    if (wrong_c) {
      snprintf(buf, sizeof buf, "sgemm WRONG (%" PRIu64 " of %d checked elements)",
               wrong_c, rows * kGemmN);
      verdict += buf;
    }

    std::vector<uint32_t> got(kStreamLen);
    CHECK_CUDA(cudaMemcpy(got.data(), y, sizeof(uint32_t) * kStreamLen,
                          cudaMemcpyDeviceToHost));
    const uint32_t mult = lcg_jump(kStreamA, 0, stream_launches).mult;
    const uint32_t sum = lcg_jump(kStreamA, 1, stream_launches).plus;
    std::atomic<uint64_t> wrong{0};
    parallel_for(kStreamLen, [&](size_t begin, size_t end) {
      uint64_t w_count = 0;
      for (size_t i = begin; i < end; ++i)
        w_count += got[i] != mult * input_u32(kSeedY, (uint32_t)i) +
                                 sum * input_u32(kSeedX, (uint32_t)i);
      wrong += w_count;
    });
    if (wrong) {
      snprintf(buf, sizeof buf, "%sstream WRONG (%" PRIu64 " elements)",
               verdict.empty() ? "" : "; ", (uint64_t)wrong.load());
      verdict += buf;
    }
    return verdict.empty() ? "ok" : verdict;
  }
};

/* ------------------------------------------------------------------------ */
/* A JSON object built field by field. Numbers that are not finite become
 * null: JSON has no NaN. */

class Json {
public:
  Json &num(const char *key, double v) {
    char buf[64];
    if (std::isfinite(v))
      snprintf(buf, sizeof buf, "%.6g", v);
    else
      snprintf(buf, sizeof buf, "null");
    return raw(key, buf);
  }
  Json &integer(const char *key, uint64_t v) {
    return raw(key, std::to_string(v));
  }
  Json &boolean(const char *key, bool v) { return raw(key, v ? "true" : "false"); }
  Json &str(const char *key, const std::string &v) {
    std::string q = "\"";
    for (char ch : v) {
      if (ch == '"' || ch == '\\')
        q += '\\';
      if ((unsigned char)ch < 0x20)
        q += ' ';
      else
        q += ch;
    }
    return raw(key, q + "\"");
  }
  /* Samples, rounded to 0.1: they feed plots and percentiles, not sums. */
  Json &samples(const char *key, const std::vector<double> &v) {
    std::string a = "[";
    char buf[32];
    for (size_t i = 0; i < v.size(); ++i) {
      snprintf(buf, sizeof buf, "%s%.1f", i ? "," : "", v[i]);
      a += buf;
    }
    return raw(key, a + "]");
  }
  /* Percentiles of no samples are absent, not zero. */
  Json &summary(const char *key, const Summary &s) {
    Json o;
    o.integer("n", s.n);
    if (s.n) {
      o.num("p50", s.p50).num("p90", s.p90).num("p99", s.p99);
      o.num("max", s.max).num("min", s.min).num("mean", s.mean);
    }
    return object(key, o);
  }
  Json &object(const char *key, const Json &o) { return raw(key, o.text()); }
  Json &array(const char *key, const std::vector<Json> &items) {
    std::string a = "[";
    for (size_t i = 0; i < items.size(); ++i)
      a += (i ? "," : "") + items[i].text();
    return raw(key, a + "]");
  }
  std::string text() const { return "{" + body_ + "}"; }
  /* The result line bench/measure.py looks for. */
  void print_result() const { printf("bench-json %s\n", text().c_str()); }

private:
  Json &raw(const char *key, const std::string &value) {
    if (!body_.empty())
      body_ += ",";
    body_ += "\"";
    body_ += key;
    body_ += "\":";
    body_ += value;
    return *this;
  }
  std::string body_;
};

#endif /* GPREEMPT_BENCH_UTIL_H */
