/* The GPREEMPT_STRESS thread starts, runs (with nothing to preempt here) and
 * is stopped and joined at exit without hanging. */
#include "stress.h"

#include <time.h>
#include <unistd.h>

int main(void) {
  alarm(20); /* a hang in the exit handler fails the test */
  gp__stress_start();
  gp__stress_start(); /* once per process */
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  return 0;
}
