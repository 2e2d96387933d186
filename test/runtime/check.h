/* check.h - the one assertion macro of the runtime tests.
 *
 * CHECK keeps going after a failure so that one run reports every broken
 * expectation; main returns check_failures() != 0.
 */
#ifndef GP_TEST_CHECK_H
#define GP_TEST_CHECK_H

#include <stdio.h>

static int check_failed_count;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      check_failed_count++;                                                    \
    }                                                                          \
  } while (0)

/* CHECK(a == b) for integers, printing both values. */
#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);            \
    if (check_a_ != check_b_) {                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n",        \
              __FILE__, __LINE__, #a, #b, check_a_, check_b_);                 \
      check_failed_count++;                                                    \
    }                                                                          \
  } while (0)

static inline int check_failures(void) { return check_failed_count; }

#endif /* GP_TEST_CHECK_H */
