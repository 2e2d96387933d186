/* GPREEMPT_* parsing. Usage: gp-rt-config-env DISABLE LOG STATS STRESS_US
 * SEED_SET SEED ARM_US ARM_IDLE_MS RELAY, the values the environment given by the
 * RUN line must give (RELAY: 0 none, 1 free places only, 2 any place). */
#include "check.h"

#include "config.h"

#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr,
            "usage: %s disable log stats stress_us seed_set seed arm_us "
            "arm_idle_ms relay\n",
            argv[0]);
    return 2;
  }
  const struct gp__config *c = gp__config();
  CHECK(c == gp__config()); /* read once */
  CHECK_EQ(c->disable, atoi(argv[1]));
  CHECK_EQ(c->log, atoi(argv[2]));
  CHECK_EQ(c->stats, atoi(argv[3]));
  CHECK_EQ((long long)c->stress_mean_us, atoll(argv[4]));
  CHECK_EQ(c->seed_set, atoi(argv[5]));
  CHECK_EQ(c->seed, strtoull(argv[6], NULL, 0));
  CHECK_EQ(c->arm_us, strtoul(argv[7], NULL, 10));
  CHECK_EQ(c->arm_idle_ms, strtoul(argv[8], NULL, 10));
  CHECK_EQ(c->relay, atoi(argv[9]));
  return check_failures() != 0;
}
