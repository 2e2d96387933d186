/* The resumer thread starts once, answers wakes (with no device here it finds
 * nothing owed), and is stopped and joined at exit without hanging. */
#include "resumer.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  alarm(20); /* a hang in the thread or its exit handler fails the test */
  if (!gp__resumer_start() || !gp__resumer_start()) {
    fprintf(stderr, "resumer thread did not start\n");
    return 1;
  }
  for (int i = 0; i < 100; i++)
    gp__resumer_wake();
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  gp__resumer_wake(); /* still pending at exit: the join must not wait */
  puts("resumer: started and woken");
  return 0;
}
