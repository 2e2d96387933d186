/* physical_grid.c - a launch's physical grid and its relay (physical_grid.h). */
#include "physical_grid.h"

static uint64_t rounds(uint64_t total, uint64_t workers) {
  return (total + workers - 1) / workers;
}

uint64_t gp__physical_grid(uint64_t total, uint64_t resident,
                           enum gp__relay_places places, bool *relay) {
  if (total < resident) {
    *relay = places != GP__RELAY_NONE;
    return total + *relay;
  }
  /* abi.h: a relay only where another block works. */
  *relay = places == GP__RELAY_ANY && resident > 1 &&
           rounds(total, resident - 1) == rounds(total, resident);
  return resident;
}
