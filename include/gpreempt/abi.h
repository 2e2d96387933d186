/*
 * gpreempt/abi.h - the contract between the gpreempt pass and the runtime.
 *
 * Not for users: include <gpreempt.h> instead. The pass (C++) writes code that
 * follows this layout and the runtime (C11) reads it, so both include this one
 * header. Any change to a name, an order or a layout here bumps GP_ABI_VERSION;
 * the runtime refuses (and runs unpreempted) kernels built for another version.
 *
 * Device side, for each preemptible kernel K (device symbol name N):
 *   - N is left exactly as the user wrote it. Launches that bypass the runtime
 *     (stream capture, graphs, cudaLaunchKernelEx, ...) run it, unpreempted.
 *   - N GP_VARIANT_SUFFIX is the preemptible clone. It takes K's parameters
 *     followed by the GP_EXTRA_PARAMS below, runs as a persistent grid that
 *     takes logical blocks from ctl->next_block, and yields at loop back-edges
 *     when *flag > 0 (signed: raise numbers, below).
 *   - N GP_WIDE_SUFFIX (with GP_INFO_WIDE_VARIANT only) is the same clone
 *     compiled with a larger register budget (.maxnreg): ptxas holds a
 *     kernel without launch bounds near 32 registers for an occupancy a
 *     small grid never uses. Same parameters, same save-area layout.
 *   - N GP_INFO_SUFFIX is a struct gp_kernel_info in global memory. The pass
 *     emits it for every kernel it looked at, also the ones it left alone
 *     (flags without GP_INFO_PREEMPTIBLE, refusal says why), so the runtime
 *     can report why a kernel runs unpreempted.
 */
#ifndef GPREEMPT_ABI_H
#define GPREEMPT_ABI_H

#include <stdint.h>

#define GP_ABI_VERSION 9u
#define GP_INFO_MAGIC 0x47505245u /* "GPRE" */

#define GP_VARIANT_SUFFIX "__gp"
#define GP_WIDE_SUFFIX "__gp_wide"
#define GP_INFO_SUFFIX "__gp_info"

/* Host side: the pass replaces cudaLaunchKernel(stub, ...) with
 * GP_LAUNCH_ENTRY(&ref, stub, ...) (same arguments after the first), and the
 * _ptsz form (per-thread default stream) with GP_LAUNCH_ENTRY_PTSZ. */
#define GP_LAUNCH_ENTRY "__gpreempt_launch_kernel"
#define GP_LAUNCH_ENTRY_PTSZ "__gpreempt_launch_kernel_ptsz"

/* One per kernel stub in a host translation unit, emitted by the pass as a
 * private global. `cache` starts as NULL and belongs to the runtime. */
struct gp_kernel_ref {
  const void *stub;        /* host handle that cudaLaunchKernel takes */
  const char *device_name; /* the kernel's device symbol (mangled) */
  void *cache;             /* runtime: per-device resolution, set once */
};

enum gp_info_flags {
  GP_INFO_PREEMPTIBLE = 1u, /* N GP_VARIANT_SUFFIX exists and may be used */
  /* The variant saves the launch's dynamic shared memory (extern __shared__)
   * too: each block region grows by dynamic_words = sharedMem / 4 (the
   * launch's dynamic shared bytes). The runtime runs such a kernel
   * unpreempted when sharedMem is not a multiple of 4. */
  GP_INFO_DYNAMIC_SHARED = 2u,
  /* N GP_WIDE_SUFFIX exists. The runtime launches it instead of the variant
   * where it has more registers than the variant and the whole grid fits on
   * the GPU at its occupancy (so it costs no block a place). */
  GP_INFO_WIDE_VARIANT = 4u,
};

/* Why the pass left a kernel unpreemptible. Stable numbers: they are stored
 * in device code. The runtime's statistics and log name them
 * (GPREEMPT_STATS=1 prints e.g. "gpreempt: refused barrier 3"). */
enum gp_refusal {
  GP_REFUSAL_NONE = 0,
  GP_REFUSAL_OPTED_OUT = 1,      /* GP_NO_PREEMPT on the kernel */
  GP_REFUSAL_BARRIER = 2,        /* a barrier only some threads reach, a
                                    barrier with a thread count, an
                                    mbarrier */
  GP_REFUSAL_WARP_SYNC = 3,      /* shfl/vote/match/redux/wmma/__syncwarp
                                    in a called function */
  GP_REFUSAL_SHARED_MEMORY = 4,  /* async copies into shared memory */
  GP_REFUSAL_CLUSTER = 5,        /* clusters, distributed shared memory */
  GP_REFUSAL_UNSAFE_CALL = 6,    /* call that may read blockIdx/gridDim, use
                                    barriers, launch kernels, or is indirect */
  GP_REFUSAL_RECURSION = 7,
  GP_REFUSAL_INLINE_ASM = 8,     /* asm reading %ctaid/%nctaid, or barriers */
  GP_REFUSAL_IRREDUCIBLE = 9,    /* a cycle that is not a natural loop */
  GP_REFUSAL_STATE_TOO_LARGE = 10,
  GP_REFUSAL_UNSUPPORTED_VALUE = 11, /* a live value the save area can't hold */
  GP_REFUSAL_DYNAMIC_ALLOCA = 12,
  GP_REFUSAL_INTERNAL = 13,      /* the rewrite failed verification */
  GP_REFUSAL_COUNT
};

struct gp_kernel_info {
  uint32_t magic;        /* GP_INFO_MAGIC */
  uint32_t abi_version;  /* GP_ABI_VERSION */
  uint32_t flags;        /* enum gp_info_flags */
  uint32_t refusal;      /* enum gp_refusal */
  uint32_t state_words;  /* 32-bit words saved per thread (word 0 included) */
  uint32_t num_params;   /* parameters of the original kernel */
  uint32_t yield_points; /* loop back-edges that poll */
  uint32_t shared_words; /* 32-bit words of static shared memory saved per
                            block (dynamic: GP_INFO_DYNAMIC_SHARED) */
};

/* Parameters the variant takes after the original ones, in this order. */
#define GP_EXTRA_PARAMS 7u
/*   void    *ctl;     struct gp_launch_ctl (device memory)
 *   const volatile int32_t *flag;  above zero: yield at the next poll; the
 *             first of GP_FLAG_COPIES copies, GP_FLAG_STRIDE bytes apart
 *   void    *save;    save area, layout below, with GP_SAVE_RELAUNCH set
 *             for every instance but the first
 *   uint32_t grid_x, grid_y, grid_z;  the logical grid the user launched
 *   uint32_t epoch;   nonzero; ctl->complete becomes this when the grid is
 *             complete (struct gp_launch_ctl) */

/* Bit 0 of `save` (save areas are 256-byte aligned): this instance is a
 * relaunch, so slots may hold blocks to continue. The first instance does
 * not read its slot: a new or clean control block has it 0. */
#define GP_SAVE_RELAUNCH 1u
/* Bit 1 of `save`: the launch's last physical block is its relay (below)
 * and takes no logical blocks, where the physical grid has at least two.
 * The same in every instance of a launch: tickets and slots count the
 * other blocks. */
#define GP_SAVE_RELAY 2u

/* The flag is kept in GP_FLAG_COPIES words, each on its own 128-byte line,
 * which the runtime writes together; physical block p of a variant polls
 * copy p % GP_FLAG_COPIES. Thousands of warps polling one word would all
 * queue at the one L2 slice that holds it.
 *
 * The copies hold signed sequence numbers: raise n writes n, its lowering
 * -n, and no raise is 0. So a write that arrives late can be told from a
 * current one: the relay below writes raise n into a copy only while the
 * copy's magnitude is below n, and never undoes the lowering of n.
 *
 * After the copies, at GP_FLAG_RELAY_OFFSET, a 64-bit word holds the device
 * address of the raise word (0: none): an int32 in mapped host memory to
 * which the host stores n when it asks for raise n, before the copies get
 * it through the GPU's own queues. A launch with GP_SAVE_RELAY has a block
 * (its last) whose first warp reads that word in a loop, and writes a new
 * raise into the copies (compare-and-swap, lane c copy c) as soon as it
 * sees it: one read over PCIe, instead of a copy that waits its turn in
 * the GPU's front end. It leaves once it has raised the flag, or once every
 * other block of the instance has arrived (`progress`), and arrives last
 * with no logical blocks done. One reader per launch: a reader per block or
 * per warp floods PCIe (docs/results.md). */
#define GP_FLAG_COPIES 32u
#define GP_FLAG_STRIDE 128u
#define GP_FLAG_RELAY_OFFSET (GP_FLAG_COPIES * GP_FLAG_STRIDE)

/* Device memory, one per launch. Resumed launches reuse it.
 *
 * Logical blocks are handed out by ticket: a physical block takes logical
 * block atomicAdd(next_block, 1) while below the grid size (with
 * -gpreempt-direct-first-wave, P + atomicAdd(next_block, 1), block p taking
 * logical block p first in the first instance; next_block is the kernel's
 * own, so this is not part of the version either). In a grid no
 * larger than its physical one (P = the variant's gridDim.x, never more
 * than the logical blocks), a block that has finished a logical block takes
 * no more tickets: none is left for it (each physical block takes one on
 * its first trip unless its slot holds one taken before).
 *
 * Every physical block adds, as it leaves, the logical blocks it finished
 * plus one arrival (1 << GP_PROGRESS_ARRIVAL_SHIFT) to `progress`. The last
 * of an instance's P blocks to arrive knows that no block of it takes
 * tickets or writes slots any more: if the grid is complete it leaves the
 * control block clean (next_block and progress 0; every slot is 0 by then)
 * and then sets complete = epoch; otherwise it takes the arrivals back out,
 * for the next instance. So a control block whose launch completed can be
 * reused without clearing it: the runtime zeroes a new one once
 * (cudaMemsetAsync, complete 0) and gives the launches that use it epochs
 * 1, 2, ... (on across the clears of a block whose launch did not
 * complete, which keep left_value); the user's stream waits for
 * complete == epoch. A relaunch
 * that finds complete == epoch (the grid completed in the instance before
 * it) leaves at once and touches nothing. Grids of 2^40 logical blocks or
 * more are not run preemptible.
 *
 * The last arrival also counts the instances that have left in `instances`
 * (0 again once the grid is complete, so a clean block has it 0) and, if
 * `left_word` is not 0, then stores, after a system-scope fence (the one
 * that also orders `complete`: release order for both),
 *     GP_LEFT_VALUE(epoch, instances, complete)
 * to the 64-bit word at that address: a mapped host word, so the host sees
 * "this instance has left the GPU" and "the grid is complete" with a load,
 * with no event recorded per launch. The runtime sets left_word once per
 * control block (after clearing it); kernels leave it as it is. The same
 * value also goes to `left_value`, in the control block itself, whether or
 * not there is a left word, before that fence (a host that sees the left
 * word may reuse the control block, so this store must be done by then):
 * what a stream waits on when the GPU, not the host, is to wait for an
 * instance to leave (gp_stream_wait_drained), so that the GPU's front end
 * polls its own memory, not the host's. The runtime never lowers it: a
 * clear of a used control block keeps it. */
struct gp_launch_ctl {
  uint64_t next_block; /* ticket: next logical block to start */
  uint64_t progress;   /* logical blocks finished, plus this instance's
                          arrivals << GP_PROGRESS_ARRIVAL_SHIFT */
  uint32_t complete;   /* the epoch of the last launch that completed: the
                          user's stream waits on this word */
  uint32_t instances;  /* instances of this launch that have left */
  uint64_t left_word;  /* device address of the word written as one leaves,
                          or 0 */
  uint64_t left_value; /* GP_LEFT_VALUE of the last instance that left */
  /* uint64_t slots[physical blocks]: logical block + 1 that physical block p
   * left half-done (its threads' state is in the save area), 0 if none;
   * with bit 62 set, a block it took a ticket for but did not start (the
   * flag was up; -gpreempt-park-tickets): the relaunch starts it. Only the
   * kernel reads slots, so their values are not part of the version. */
};
#define GP_PROGRESS_ARRIVAL_SHIFT 40u
#define GP_LEFT_VALUE(epoch, instances, complete)                              \
  ((uint64_t)(epoch) << 32 | (uint64_t)(uint32_t)(instances) << 1 |            \
   (uint64_t)((complete) != 0))
#define GP_CTL_HEADER_BYTES 40u
#define GP_CTL_SLOTS_OFFSET GP_CTL_HEADER_BYTES

/* Save area: one region per physical block p, of
 *     block_words = state_words * threads_per_block + shared_words
 *                   + dynamic_words
 * 32-bit words, at save + p * block_words * 4, where dynamic_words is the
 * launch's dynamic shared bytes / 4 with GP_INFO_DYNAMIC_SHARED, else 0 (the
 * variant reads the size from %dynamic_smem_size). In it, word w of thread t
 * (linear thread index in the block) comes first, at word index
 *     w * threads_per_block + t
 * so a warp's stores of one word are coalesced; the block's static shared
 * memory follows, at word index state_words * threads_per_block, then its
 * dynamic shared memory. Word 0 of a thread
 * is its resume point: 0 = it had finished its logical block, k >= 1 = it
 * yielded at a back-edge of loop k (numbered by the pass in loop-tree
 * preorder). Kernels whose yields are block-collective (they use barriers
 * or shared memory) save shared memory. */
#define GP_RESUME_DONE 0u

#endif /* GPREEMPT_ABI_H */
