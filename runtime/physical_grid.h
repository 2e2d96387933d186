/* physical_grid.h - how many blocks a preemptible launch runs, and whether
 * one of them is its relay (abi.h: GP_SAVE_RELAY).
 *
 * The persistent grid has as many blocks as the logical grid, or as many as
 * are resident at once if that is fewer: each takes logical blocks by ticket
 * until none are left. A relay block takes no logical block, so where it
 * goes decides what it costs:
 *  - a free place: the logical grid is smaller than what fits at once, and
 *    the relay is one more block;
 *  - a worker's place: the logical grid takes several rounds of tickets and
 *    one worker fewer leaves their number the same (ceil(total / resident)
 *    = ceil(total / (resident - 1))), so with blocks of even length the
 *    kernel takes as long. Where the count of rounds would grow (a grid of
 *    exactly the GPU's size would take two), there is no relay. */
#ifndef GP_RUNTIME_PHYSICAL_GRID_H
#define GP_RUNTIME_PHYSICAL_GRID_H

#include <stdbool.h>
#include <stdint.h>

enum gp__relay_places {
  GP__RELAY_NONE,       /* no relay blocks */
  GP__RELAY_FREE_ONLY,  /* only in a free place */
  GP__RELAY_ANY,        /* a free place, or a worker's where rounds stay */
};

/* The physical grid of a launch of `total` logical blocks where `resident`
 * (at least 1) fit at once; *relay says whether its last block is the
 * relay, which only `places` allows. */
uint64_t gp__physical_grid(uint64_t total, uint64_t resident,
                           enum gp__relay_places places, bool *relay);

#endif /* GP_RUNTIME_PHYSICAL_GRID_H */
