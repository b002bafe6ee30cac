/* A tiny unit-test framework: checks count, failures print where, main() reports. */
#ifndef RB_TEST_H
#define RB_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int test_checks, test_failures;

#define CHECK(cond)                                                                                 \
  do {                                                                                              \
    test_checks++;                                                                                  \
    if (!(cond)) {                                                                                  \
      test_failures++;                                                                              \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                      \
    }                                                                                               \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                          \
  do {                                                                                              \
    long long a_ = (long long)(a), b_ = (long long)(b);                                             \
    test_checks++;                                                                                  \
    if (a_ != b_) {                                                                                 \
      test_failures++;                                                                              \
      fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_);        \
    }                                                                                               \
  } while (0)

static inline int test_report(const char *name)
{
  printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
  return test_failures ? 1 : 0;
}

#endif
